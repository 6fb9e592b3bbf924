package api

import (
	"sync"
	"time"
)

// LoginLimit bounds failed logins with two token buckets: one per (username,
// address) pair, which stops guessing one account's password from one
// place, and a looser one per address, which stops trying many accounts
// from one place. Only failures spend tokens for good: a successful login
// refills its pair and gives its address token back, so people who type
// their password right are never slowed down. An attempt is paid for up
// front, so parallel guesses cannot overrun the limit.
type LoginLimit struct {
	// Burst failed attempts per username and address, then one more per Every.
	Burst int
	Every time.Duration
	// AddressBurst failed attempts per address, whatever the username,
	// then one more per AddressEvery.
	AddressBurst int
	AddressEvery time.Duration
}

// DefaultLoginLimit: 5 wrong passwords for one account from one address,
// then one a minute; 30 failures from one address, then one every 10 s.
var DefaultLoginLimit = LoginLimit{Burst: 5, Every: time.Minute, AddressBurst: 30, AddressEvery: 10 * time.Second}

// maxBuckets bounds the limiter's memory: beyond it, buckets that have
// refilled completely (which carry no information) are dropped.
const maxBuckets = 10_000

type bucket struct {
	tokens float64
	at     time.Time
}

// refill brings b to now and reports whether it is full.
func (b *bucket) refill(now time.Time, burst int, every time.Duration) bool {
	if el := now.Sub(b.at); el > 0 {
		b.tokens += float64(el) / float64(every)
		b.at = now
	}
	if b.tokens >= float64(burst) {
		b.tokens = float64(burst)
		return true
	}
	return false
}

// wait is how long until b holds one token.
func (b *bucket) wait(every time.Duration) time.Duration {
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(every))
}

type loginLimiter struct {
	cfg  LoginLimit
	now  func() time.Time
	mu   sync.Mutex
	pair map[string]*bucket
	addr map[string]*bucket
}

func newLoginLimiter(cfg LoginLimit, now func() time.Time) *loginLimiter {
	if cfg.Burst <= 0 || cfg.Every <= 0 {
		cfg.Burst, cfg.Every = DefaultLoginLimit.Burst, DefaultLoginLimit.Every
	}
	if cfg.AddressBurst <= 0 || cfg.AddressEvery <= 0 {
		cfg.AddressBurst, cfg.AddressEvery = DefaultLoginLimit.AddressBurst, DefaultLoginLimit.AddressEvery
	}
	return &loginLimiter{cfg: cfg, now: now, pair: map[string]*bucket{}, addr: map[string]*bucket{}}
}

// loginAttempt is a paid-for attempt; the caller reports how it ended.
// Doing nothing means it failed: its tokens stay spent.
type loginAttempt struct {
	l          *loginLimiter
	pair, addr string
}

// begin pays for one attempt, or returns nil and how long to wait.
func (l *loginLimiter) begin(username, address string) (*loginAttempt, time.Duration) {
	now := l.now()
	pk := username + "\x00" + address
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.get(l.pair, pk, l.cfg.Burst, now)
	a := l.get(l.addr, address, l.cfg.AddressBurst, now)
	p.refill(now, l.cfg.Burst, l.cfg.Every)
	a.refill(now, l.cfg.AddressBurst, l.cfg.AddressEvery)
	if w := max(p.wait(l.cfg.Every), a.wait(l.cfg.AddressEvery)); w > 0 {
		return nil, w
	}
	p.tokens--
	a.tokens--
	return &loginAttempt{l: l, pair: pk, addr: address}, 0
}

func (l *loginLimiter) get(m map[string]*bucket, key string, burst int, now time.Time) *bucket {
	if b, ok := m[key]; ok {
		return b
	}
	if len(m) >= maxBuckets {
		l.prune(now)
	}
	b := &bucket{tokens: float64(burst), at: now}
	m[key] = b
	return b
}

// prune drops full buckets; if an attacker fills the maps with live ones
// faster than they refill, it starts over rather than grow without bound.
func (l *loginLimiter) prune(now time.Time) {
	for k, b := range l.pair {
		if b.refill(now, l.cfg.Burst, l.cfg.Every) {
			delete(l.pair, k)
		}
	}
	for k, b := range l.addr {
		if b.refill(now, l.cfg.AddressBurst, l.cfg.AddressEvery) {
			delete(l.addr, k)
		}
	}
	if len(l.pair) >= maxBuckets*2 || len(l.addr) >= maxBuckets*2 {
		l.pair, l.addr = map[string]*bucket{}, map[string]*bucket{}
	}
}

// succeeded forgets the pair's failures and returns the address's token.
func (a *loginAttempt) succeeded() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	delete(a.l.pair, a.pair)
	if b, ok := a.l.addr[a.addr]; ok {
		b.tokens = min(b.tokens+1, float64(a.l.cfg.AddressBurst))
	}
}

// cancel returns both tokens: the attempt failed on our side (a database
// error), not on the password.
func (a *loginAttempt) cancel() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	if b, ok := a.l.pair[a.pair]; ok {
		b.tokens = min(b.tokens+1, float64(a.l.cfg.Burst))
	}
	if b, ok := a.l.addr[a.addr]; ok {
		b.tokens = min(b.tokens+1, float64(a.l.cfg.AddressBurst))
	}
}

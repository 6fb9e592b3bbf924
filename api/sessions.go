package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Sessions (issue 23, ASVS V3). A token is served only while the session its
// jti names is on record, unrevoked and unexpired, and its account enabled.
// The check reads the database, through a cache of a few seconds
// (DefaultSessionCacheTTL): a revocation takes effect at once on the instance
// that made it (it drops its cache entries) and within the TTL on every
// other instance.

// DefaultSessionCacheTTL is how long an instance trusts what it last read
// about a session.
const DefaultSessionCacheTTL = 5 * time.Second

// ctxSession holds the id of the request's session.
const ctxSession = "session_id"

// sessionCache remembers session states for a short time.
type sessionCache struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]cachedSession
}

type cachedSession struct {
	st store.SessionState
	at time.Time
}

// maxCachedSessions bounds the cache; past it the cache starts afresh.
const maxCachedSessions = 50_000

func (c *sessionCache) get(id string, now time.Time) (store.SessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.Sub(e.at) >= c.ttl || now.Before(e.at) {
		return store.SessionState{}, false
	}
	return e.st, true
}

func (c *sessionCache) put(id string, st store.SessionState, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedSessions {
		c.m = map[string]cachedSession{}
	}
	c.m[id] = cachedSession{st: st, at: now}
}

// forgetUser drops every cached session of username (after a revocation
// here, this instance must not wait for the TTL).
func (c *sessionCache) forgetUser(username string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.m {
		if e.st.Username == username {
			delete(c.m, id)
		}
	}
}

// requireSession turns a verified token into the current user, provided its
// session is active and its account enabled.
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		claims, _ := c.Get(ctxTokenSubject).(auth.Claims)
		now := s.now()
		st, ok := s.sessions.get(claims.Session, now)
		if !ok {
			var err error
			st, err = s.db.GetSessionState(c.Request().Context(), claims.Session)
			switch {
			case domain.ErrorCode(err) == domain.ENOTFOUND:
				return domain.Errorf(domain.EUNAUTHORIZED, "Sesi tidak dikenal; silakan masuk lagi.")
			case err != nil:
				return err
			}
			s.sessions.put(claims.Session, st, now)
		}
		switch {
		case st.Username != claims.Username:
			return domain.Errorf(domain.EUNAUTHORIZED, "Sesi tidak dikenal; silakan masuk lagi.")
		case st.UserDisabled:
			return domain.Errorf(domain.EUNAUTHORIZED, "Akun tidak aktif; silakan masuk lagi.")
		case !st.Active(now):
			return domain.Errorf(domain.EUNAUTHORIZED, "Sesi sudah berakhir atau dicabut; silakan masuk lagi.")
		}
		c.Set(ctxUsername, st.Username)
		c.Set(ctxSession, st.ID)
		return next(c)
	}
}

func currentSession(c echo.Context) string {
	id, _ := c.Get(ctxSession).(string)
	return id
}

// IssueSession records a new session of username and returns its token and
// expiry: the one way a token is made (login, and tests that need one).
func IssueSession(ctx context.Context, db *store.DB, tokens auth.Tokens, username, userAgent, remoteAddr string) (string, time.Time, error) {
	id := auth.NewSessionID()
	token, exp, err := tokens.Issue(id, username)
	if err != nil {
		return "", time.Time{}, err
	}
	now := time.Now()
	if tokens.Now != nil {
		now = tokens.Now()
	}
	err = db.CreateSession(ctx, store.Session{ID: id, Username: username, CreatedAt: now, ExpiresAt: exp,
		UserAgent: userAgent, RemoteAddr: remoteAddr})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, exp, nil
}

// audit records a security event; a failure to record is logged, never
// shown to the client, and does not undo what happened.
func (s *Server) audit(c echo.Context, kind, username, actor, detail string) {
	err := s.db.RecordSecurityEvent(context.WithoutCancel(c.Request().Context()), store.SecurityEvent{
		At: s.now(), Kind: kind, Username: username, Actor: actor, RemoteAddr: c.RealIP(), Detail: detail})
	if err != nil {
		s.log.Error("security audit", "kind", kind, "username", username, "err", err)
	}
}

// logout revokes the caller's session: the same token answers 401 from now
// on, on this instance at once and on the others within the cache's TTL.
func (s *Server) logout(c echo.Context) error {
	user, id := currentUser(c), currentSession(c)
	if err := s.db.RevokeSession(c.Request().Context(), user, id, user, s.now()); err != nil {
		return err
	}
	s.sessions.forgetUser(user)
	s.audit(c, store.EventLogout, user, user, "")
	return c.NoContent(http.StatusNoContent)
}

type sessionView struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	UserAgent  string    `json:"user_agent"`
	RemoteAddr string    `json:"remote_addr"`
	Current    bool      `json:"current"`
}

type sessionList struct {
	Items []sessionView `json:"items"`
}

// mySessions lists the caller's active sessions, newest first, marking the
// one this request came with.
func (s *Server) mySessions(c echo.Context) error {
	user := currentUser(c)
	list, err := s.db.ActiveSessions(c.Request().Context(), user, s.now())
	if err != nil {
		return err
	}
	out := sessionList{Items: make([]sessionView, len(list))}
	for i, ss := range list {
		out.Items[i] = sessionView{ID: ss.ID, CreatedAt: ss.CreatedAt, ExpiresAt: ss.ExpiresAt, UserAgent: ss.UserAgent,
			RemoteAddr: ss.RemoteAddr, Current: ss.ID == currentSession(c)}
	}
	return c.JSON(http.StatusOK, out)
}

// revokeMySession ends one of the caller's own sessions (a browser left
// signed in elsewhere); another user's session id is 404.
func (s *Server) revokeMySession(c echo.Context) error {
	user, id := currentUser(c), c.Param("sid")
	if err := s.db.RevokeSession(c.Request().Context(), user, id, user, s.now()); err != nil {
		return err
	}
	s.sessions.forgetUser(user)
	s.audit(c, store.EventSessionRevoked, user, user, "")
	return c.NoContent(http.StatusNoContent)
}

// revokedCount answers how many sessions a change ended.
type revokedCount struct {
	Revoked int64 `json:"revoked"`
}

// endSessions ends every session of username (except, if not ""), drops
// them from this instance's cache and audits it.
func (s *Server) endSessions(c echo.Context, username, except, by, kind, detail string) (int64, error) {
	n, err := s.db.RevokeSessions(c.Request().Context(), username, except, by, s.now())
	if err != nil {
		return 0, err
	}
	s.sessions.forgetUser(username)
	if kind != "" {
		s.audit(c, kind, username, by, detail)
	}
	return n, nil
}

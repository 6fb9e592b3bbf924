// Package config reads rencana's configuration in one place: flags first,
// then environment variables, then defaults; and validates it so that a bad
// value stops start-up with a message naming the variable.
package config

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
)

// Mode is the subcommand being configured; some rules differ per mode.
type Mode string

// The subcommands that read configuration.
const (
	ModeDev     Mode = "dev"
	ModeServe   Mode = "serve"
	ModeWorker  Mode = "worker"
	ModeMigrate Mode = "migrate"
	ModeUser    Mode = "user"
	ModeImport  Mode = "import"
	ModeBench   Mode = "bench"
)

// Config is everything a rencana process needs to know about its
// environment. Field comments name the flag and variable that set it.
type Config struct {
	Mode Mode
	// Addr is where the HTTP API listens: --addr / RENCANA_ADDR.
	Addr string
	// DataDir holds the SQLite database, the dev server's database and
	// generated dev credentials: --data-dir / RENCANA_DATA_DIR.
	DataDir string
	// DatabaseURL is a postgres:// URL; empty means SQLite in DataDir: DATABASE_URL.
	DatabaseURL string
	// TemporalAddress is host:port of a Temporal frontend; empty in dev
	// means start the dev server: TEMPORAL_ADDRESS.
	TemporalAddress string
	// TemporalNamespace: TEMPORAL_NAMESPACE (default "default").
	TemporalNamespace string
	// JWTSecret signs API tokens: RENCANA_JWT_SECRET, at least 32 bytes,
	// required outside dev (dev generates one into DataDir).
	JWTSecret []byte
	// AdminPassword is the initial password of the admin user:
	// RENCANA_ADMIN_PASSWORD (dev generates one when unset).
	AdminPassword string
	// TokenTTL is how long a login token lives: RENCANA_TOKEN_TTL (default 12h).
	TokenTTL time.Duration
	// LogFormat is "text" or "json": RENCANA_LOG_FORMAT (text in dev, json elsewhere).
	LogFormat string
	// LogLevel: RENCANA_LOG_LEVEL (debug, info, warn, error; default info).
	LogLevel slog.Level
	// TemporalUIPort is where the dev server's web UI listens in dev:
	// RENCANA_TEMPORAL_UI_PORT (default 8233).
	TemporalUIPort string
	// TemporalDevPort is the dev server's frontend port in dev:
	// RENCANA_TEMPORAL_DEV_PORT (default 7233).
	TemporalDevPort string
	// SMTPURL, smtp://user:password@host:port, turns on mailing
	// notifications: RENCANA_SMTP_URL. Unset: in-app only (dev logs mail).
	SMTPURL string
	// MailFrom is the sender of notification mail: RENCANA_MAIL_FROM,
	// required with RENCANA_SMTP_URL.
	MailFrom string
	// SecureCookies marks the web UI's cookies Secure (HTTPS only):
	// RENCANA_SECURE_COOKIES, true outside dev. Turn it off only when the
	// site is reached over plain HTTP on a trusted network.
	SecureCookies bool
	// CORSOrigins are the other sites' origins allowed to call the API from
	// a browser: RENCANA_CORS_ORIGINS, comma-separated; empty means none.
	CORSOrigins []string
	// TrustedProxies are the CIDR ranges of reverse proxies whose
	// X-Forwarded-For is believed: RENCANA_TRUSTED_PROXIES, comma-separated.
	TrustedProxies []string
	// MetricsAddr is where /metrics (and, for the worker, /healthz and
	// /readyz) are served on a listener of their own: --metrics-addr /
	// RENCANA_METRICS_ADDR. The worker always has one (default
	// 127.0.0.1:9091); for serve, empty (the default) serves /metrics on
	// the API's address, and an address moves it to an internal listener.
	MetricsAddr string
	// StartupTimeout bounds how long serve and worker wait for the
	// database and Temporal at start before giving up:
	// RENCANA_STARTUP_TIMEOUT (default 5m; 0 waits for ever).
	StartupTimeout time.Duration
	// TemporalTLS is mutual TLS to the Temporal frontend, or nil for plain
	// gRPC: TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (the client's
	// certificate and key, PEM files), TEMPORAL_TLS_CA (the CA that signed
	// the server's certificate; unset means the system roots) and
	// TEMPORAL_TLS_SERVER_NAME (when it differs from TEMPORAL_ADDRESS's
	// host). TEMPORAL_TLS=true turns on server-only TLS without a client
	// certificate. The same variables as the Temporal CLI's.
	TemporalTLS *tls.Config
	// Require2FA makes admins and kepala dinas log in with a TOTP second
	// factor: RENCANA_REQUIRE_2FA, true for `rencana serve`, false for
	// `rencana dev` and `rencana bench` (the demo, scripts and the load
	// benchmark's clients log in in one step).
	Require2FA bool
	// ReuseTemporal lets `rencana dev` use a Temporal server already
	// listening on its port, which it did not start:
	// RENCANA_REUSE_TEMPORAL (default false: refuse, name the port).
	ReuseTemporal bool
}

// Getenv looks a variable up; tests pass a map-backed one.
type Getenv func(string) string

// Load parses args (the subcommand's own arguments) and the environment for
// mode. It returns the remaining positional arguments. Errors name the flag
// or variable at fault. A subcommand registers its own flags through extra.
func Load(mode Mode, args []string, getenv Getenv, output io.Writer, extra ...func(*flag.FlagSet)) (Config, []string, error) {
	c := Config{Mode: mode}
	fs := flag.NewFlagSet("rencana "+string(mode), flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&c.Addr, "addr", envOr(getenv, "RENCANA_ADDR", "127.0.0.1:8080"), "HTTP listen address (RENCANA_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", envOr(getenv, "RENCANA_DATA_DIR", "./.data"), "data directory for SQLite and dev files (RENCANA_DATA_DIR)")
	if mode == ModeServe || mode == ModeWorker {
		def := ""
		if mode == ModeWorker {
			def = "127.0.0.1:9091"
		}
		fs.StringVar(&c.MetricsAddr, "metrics-addr", envOr(getenv, "RENCANA_METRICS_ADDR", def),
			"listen address of /metrics (and the worker's /healthz, /readyz) (RENCANA_METRICS_ADDR)")
	}
	for _, f := range extra {
		f(fs)
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	c.DatabaseURL = strings.TrimSpace(getenv("DATABASE_URL"))
	c.TemporalAddress = strings.TrimSpace(getenv("TEMPORAL_ADDRESS"))
	c.TemporalNamespace = envOr(getenv, "TEMPORAL_NAMESPACE", "default")
	c.AdminPassword = getenv("RENCANA_ADMIN_PASSWORD")
	c.TemporalUIPort = envOr(getenv, "RENCANA_TEMPORAL_UI_PORT", "8233")
	c.TemporalDevPort = envOr(getenv, "RENCANA_TEMPORAL_DEV_PORT", "7233")

	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}

	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("RENCANA_ADDR (--addr)", "%q is not host:port", c.Addr)
	}
	if c.DataDir == "" {
		bad("RENCANA_DATA_DIR (--data-dir)", "must not be empty")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			bad("DATABASE_URL", "must be a postgres://user@host:port/db URL or unset for SQLite")
		}
		// TLS to PostgreSQL is DATABASE_URL's sslmode (and sslrootcert,
		// sslcert, sslkey), or libpq's PGSSLMODE... variables, which pgx
		// reads too. A misspelt mode is refused here, at start, naming the
		// setting, rather than at the first connection.
		if err == nil {
			switch m := u.Query().Get("sslmode"); m {
			case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
			default:
				bad("DATABASE_URL", "sslmode=%q: use disable, require, verify-ca or verify-full (verify-full with sslrootcert= in production)", m)
			}
		}
	}
	if c.TemporalAddress != "" {
		if _, _, err := net.SplitHostPort(c.TemporalAddress); err != nil {
			bad("TEMPORAL_ADDRESS", "%q is not host:port", c.TemporalAddress)
		}
	} else if mode != ModeDev && needsTemporal(mode) {
		bad("TEMPORAL_ADDRESS", "required outside `rencana dev` (e.g. temporal:7233)")
	}
	if c.TemporalNamespace == "" {
		bad("TEMPORAL_NAMESPACE", "must not be empty")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad("RENCANA_METRICS_ADDR (--metrics-addr)", "%q is not host:port", c.MetricsAddr)
		}
	}
	c.StartupTimeout = 5 * time.Minute
	if v := strings.TrimSpace(getenv("RENCANA_STARTUP_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			bad("RENCANA_STARTUP_TIMEOUT", "%q must be a duration such as 5m (0 waits for ever)", v)
		}
		c.StartupTimeout = d
	}
	if tc, err := temporalTLS(getenv); err != nil {
		errs = append(errs, err)
	} else {
		c.TemporalTLS = tc
	}

	switch secret := getenv("RENCANA_JWT_SECRET"); {
	case secret != "" && len(secret) < 32:
		bad("RENCANA_JWT_SECRET", "must be at least 32 characters (e.g. `openssl rand -hex 32`)")
	case secret != "":
		c.JWTSecret = []byte(secret)
	case mode == ModeServe:
		bad("RENCANA_JWT_SECRET", "required outside `rencana dev`")
	}
	c.SMTPURL = strings.TrimSpace(getenv("RENCANA_SMTP_URL"))
	c.MailFrom = strings.TrimSpace(getenv("RENCANA_MAIL_FROM"))
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
			bad("RENCANA_SMTP_URL", "must be smtp://user:password@host:port or unset")
		}
		if !strings.Contains(c.MailFrom, "@") {
			bad("RENCANA_MAIL_FROM", "a sender address is required with RENCANA_SMTP_URL")
		}
	}
	boolVar := func(dst *bool, name string, def bool) {
		*dst = def
		if v := strings.TrimSpace(getenv(name)); v != "" {
			switch strings.ToLower(v) {
			case "1", "true", "yes":
				*dst = true
			case "0", "false", "no":
				*dst = false
			default:
				bad(name, "%q must be true or false", v)
			}
		}
	}
	boolVar(&c.SecureCookies, "RENCANA_SECURE_COOKIES", mode != ModeDev)
	boolVar(&c.Require2FA, "RENCANA_REQUIRE_2FA", mode == ModeServe)
	boolVar(&c.ReuseTemporal, "RENCANA_REUSE_TEMPORAL", false)
	for _, o := range splitList(getenv("RENCANA_CORS_ORIGINS")) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			bad("RENCANA_CORS_ORIGINS", "%q is not an origin like https://sipd.example.go.id", o)
			continue
		}
		c.CORSOrigins = append(c.CORSOrigins, strings.TrimSuffix(o, "/"))
	}
	for _, p := range splitList(getenv("RENCANA_TRUSTED_PROXIES")) {
		if _, _, err := net.ParseCIDR(p); err != nil {
			bad("RENCANA_TRUSTED_PROXIES", "%q is not a CIDR range like 10.0.0.0/8", p)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if c.AdminPassword != "" {
		var v domain.Validation
		auth.ValidatePassword(&v, "RENCANA_ADMIN_PASSWORD", c.AdminPassword, "admin")
		var de *domain.Error
		if errors.As(v.Err(), &de) {
			bad("RENCANA_ADMIN_PASSWORD", "refused by the password policy (at least 12 characters, not a common, repetitive or sequential password): %s", de.Fields[0].Message)
		}
	}

	c.TokenTTL = 12 * time.Hour
	if v := getenv("RENCANA_TOKEN_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			bad("RENCANA_TOKEN_TTL", "%q must be a duration between 1m and 168h", v)
		}
		c.TokenTTL = d
	}
	c.LogFormat = "json"
	if mode == ModeDev {
		c.LogFormat = "text"
	}
	if v := getenv("RENCANA_LOG_FORMAT"); v != "" {
		if v != "json" && v != "text" {
			bad("RENCANA_LOG_FORMAT", "%q must be json or text", v)
		}
		c.LogFormat = v
	}
	if v := getenv("RENCANA_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			bad("RENCANA_LOG_LEVEL", "%q must be debug, info, warn or error", v)
		}
	}
	return c, fs.Args(), errors.Join(errs...)
}

// temporalTLS builds the TLS configuration of the Temporal client from the
// TEMPORAL_TLS_* variables, reading the files now so a wrong path stops
// start-up with the variable's name rather than failing every dial.
func temporalTLS(getenv Getenv) (*tls.Config, error) {
	certFile := strings.TrimSpace(getenv("TEMPORAL_TLS_CERT"))
	keyFile := strings.TrimSpace(getenv("TEMPORAL_TLS_KEY"))
	caFile := strings.TrimSpace(getenv("TEMPORAL_TLS_CA"))
	serverName := strings.TrimSpace(getenv("TEMPORAL_TLS_SERVER_NAME"))
	on := false
	switch v := strings.ToLower(strings.TrimSpace(getenv("TEMPORAL_TLS"))); v {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		on = true
	default:
		return nil, fmt.Errorf("TEMPORAL_TLS: %q must be true or false", v)
	}
	if !on && certFile == "" && keyFile == "" && caFile == "" && serverName == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY: give both (mutual TLS) or neither")
	}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %s holds no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

func splitList(v string) []string {
	var out []string
	for _, x := range strings.Split(v, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func needsTemporal(m Mode) bool {
	return m == ModeServe || m == ModeWorker
}

func envOr(getenv Getenv, name, def string) string {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return v
	}
	return def
}

// Logger builds the process logger: JSON outside dev, text in dev.
func (c Config) Logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	var l *slog.Logger
	if c.LogFormat == "text" {
		l = slog.New(slog.NewTextHandler(w, opts))
	} else {
		l = slog.New(slog.NewJSONHandler(w, opts))
	}
	// Packages that log through slog.Default (migrations, policy seeding)
	// must write in the same format and place as the rest of the process.
	slog.SetDefault(l)
	return l
}

// DevJWTSecret returns the configured secret or, in dev, one generated once
// and kept in the data dir so tokens survive a restart.
func (c Config) DevJWTSecret() ([]byte, error) {
	if len(c.JWTSecret) > 0 {
		return c.JWTSecret, nil
	}
	path := filepath.Join(c.DataDir, "jwt-secret")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, err
	}
	secret := []byte(hex.EncodeToString(raw[:]))
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, secret, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return secret, nil
}

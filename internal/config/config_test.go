package config_test

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/config"
)

func env(m map[string]string) config.Getenv { return func(k string) string { return m[k] } }

func TestDefaultsInDev(t *testing.T) {
	c, rest, err := config.Load(config.ModeDev, nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.Empty(t, rest)
	require.Equal(t, "127.0.0.1:8080", c.Addr)
	require.Equal(t, "./.data", c.DataDir)
	require.Empty(t, c.DatabaseURL, "unset means SQLite")
	require.Empty(t, c.TemporalAddress, "unset in dev means start the dev server")
	require.Equal(t, "default", c.TemporalNamespace)
	require.Equal(t, "text", c.LogFormat)
	require.Equal(t, 12*time.Hour, c.TokenTTL)
}

func TestFlagsBeatEnvironment(t *testing.T) {
	c, rest, err := config.Load(config.ModeDev, []string{"--addr", "127.0.0.1:9999", "x"},
		env(map[string]string{"RENCANA_ADDR": "127.0.0.1:7000", "RENCANA_DATA_DIR": "/tmp/d"}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9999", c.Addr)
	require.Equal(t, "/tmp/d", c.DataDir)
	require.Equal(t, []string{"x"}, rest)
}

func TestBadValuesNameTheVariable(t *testing.T) {
	cases := []struct {
		name string
		mode config.Mode
		env  map[string]string
		want string
	}{
		{"bad addr", config.ModeDev, map[string]string{"RENCANA_ADDR": "nope"}, "RENCANA_ADDR"},
		{"mysql url", config.ModeDev, map[string]string{"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"},
		{"bad sslmode", config.ModeDev, map[string]string{"DATABASE_URL": "postgres://r@db:5432/r?sslmode=verify_full"}, "sslmode"},
		{"bad temporal", config.ModeDev, map[string]string{"TEMPORAL_ADDRESS": "temporal"}, "TEMPORAL_ADDRESS"},
		{"serve without secret", config.ModeServe, map[string]string{"TEMPORAL_ADDRESS": "t:7233"}, "RENCANA_JWT_SECRET"},
		{"serve without temporal", config.ModeServe, map[string]string{"RENCANA_JWT_SECRET": "0123456789abcdef0123456789abcdef"}, "TEMPORAL_ADDRESS"},
		{"short secret", config.ModeDev, map[string]string{"RENCANA_JWT_SECRET": "short"}, "RENCANA_JWT_SECRET"},
		{"short admin password", config.ModeDev, map[string]string{"RENCANA_ADMIN_PASSWORD": "abc"}, "RENCANA_ADMIN_PASSWORD"},
		{"bad ttl", config.ModeDev, map[string]string{"RENCANA_TOKEN_TTL": "forever"}, "RENCANA_TOKEN_TTL"},
		{"bad log format", config.ModeDev, map[string]string{"RENCANA_LOG_FORMAT": "xml"}, "RENCANA_LOG_FORMAT"},
		{"bad log level", config.ModeDev, map[string]string{"RENCANA_LOG_LEVEL": "loud"}, "RENCANA_LOG_LEVEL"},
		{"bad smtp url", config.ModeDev, map[string]string{"RENCANA_SMTP_URL": "mail.example.org:25", "RENCANA_MAIL_FROM": "a@b.id"}, "RENCANA_SMTP_URL"},
		{"bad cors origin", config.ModeDev, map[string]string{"RENCANA_CORS_ORIGINS": "https://a.go.id, *"}, "RENCANA_CORS_ORIGINS"},
		{"bad proxy range", config.ModeDev, map[string]string{"RENCANA_TRUSTED_PROXIES": "10.0.0.1"}, "RENCANA_TRUSTED_PROXIES"},
		{"bad secure cookies", config.ModeDev, map[string]string{"RENCANA_SECURE_COOKIES": "kadang"}, "RENCANA_SECURE_COOKIES"},
		{"smtp without sender", config.ModeDev, map[string]string{"RENCANA_SMTP_URL": "smtp://mail.example.org:25"}, "RENCANA_MAIL_FROM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := config.Load(tc.mode, nil, env(tc.env), io.Discard)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestServeWithEverythingSet(t *testing.T) {
	c, _, err := config.Load(config.ModeServe, nil, env(map[string]string{
		"DATABASE_URL":       "postgres://rencana@db:5432/rencana?sslmode=verify-full&sslrootcert=/etc/rencana/pg-ca.pem",
		"TEMPORAL_ADDRESS":   "temporal:7233",
		"RENCANA_JWT_SECRET": "0123456789abcdef0123456789abcdef",
	}), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "json", c.LogFormat)
	require.Len(t, c.JWTSecret, 32)
}

func TestDevSecretPersists(t *testing.T) {
	c, _, err := config.Load(config.ModeDev, []string{"--data-dir", t.TempDir()}, env(nil), io.Discard)
	require.NoError(t, err)
	s1, err := c.DevJWTSecret()
	require.NoError(t, err)
	s2, err := c.DevJWTSecret()
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(s1), 32)
	require.Equal(t, s1, s2, "a restart must keep the secret so tokens stay valid")
}

func TestWebAndProxySettings(t *testing.T) {
	c, _, err := config.Load(config.ModeDev, nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.False(t, c.SecureCookies, "dev serves plain HTTP on localhost")
	c, _, err = config.Load(config.ModeServe, nil, env(map[string]string{
		"TEMPORAL_ADDRESS": "t:7233", "RENCANA_JWT_SECRET": "0123456789abcdef0123456789abcdef",
		"RENCANA_CORS_ORIGINS": "https://sipd.example.go.id/, http://localhost:5173", "RENCANA_TRUSTED_PROXIES": "10.0.0.0/8",
	}), io.Discard)
	require.NoError(t, err)
	require.True(t, c.SecureCookies)
	require.Equal(t, []string{"https://sipd.example.go.id", "http://localhost:5173"}, c.CORSOrigins)
	require.Equal(t, []string{"10.0.0.0/8"}, c.TrustedProxies)
}

// Issue 23: the second factor is required by default where it matters
// (serve), not in dev; a weak bootstrap admin password stops start-up.
func TestSecuritySettings(t *testing.T) {
	dev, _, err := config.Load(config.ModeDev, nil, env(nil), io.Discard)
	require.NoError(t, err)
	require.False(t, dev.Require2FA)
	require.False(t, dev.ReuseTemporal)
	serveEnv := map[string]string{"TEMPORAL_ADDRESS": "temporal:7233", "RENCANA_JWT_SECRET": "0123456789abcdef0123456789abcdef"}
	serve, _, err := config.Load(config.ModeServe, nil, env(serveEnv), io.Discard)
	require.NoError(t, err)
	require.True(t, serve.Require2FA)
	serveEnv["RENCANA_REQUIRE_2FA"] = "false"
	serve, _, err = config.Load(config.ModeServe, nil, env(serveEnv), io.Discard)
	require.NoError(t, err)
	require.False(t, serve.Require2FA)
	_, _, err = config.Load(config.ModeDev, nil, env(map[string]string{"RENCANA_ADMIN_PASSWORD": "aaaaaaaaaaaa"}), io.Discard)
	require.ErrorContains(t, err, "RENCANA_ADMIN_PASSWORD")
	_, _, err = config.Load(config.ModeDev, nil, env(map[string]string{"RENCANA_REQUIRE_2FA": "kadang"}), io.Discard)
	require.ErrorContains(t, err, "RENCANA_REQUIRE_2FA")
}

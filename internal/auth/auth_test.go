package auth_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
)

func TestPasswordRoundTrip(t *testing.T) {
	h, err := auth.HashPassword("rahasia-sekali")
	require.NoError(t, err)
	require.NotContains(t, h, "rahasia")
	require.True(t, auth.CheckPassword(h, "rahasia-sekali"))
	require.False(t, auth.CheckPassword(h, "rahasia-sekalI"))
}

func TestTokens(t *testing.T) {
	now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	tok := auth.Tokens{Secret: []byte("0123456789abcdef0123456789abcdef"), TTL: time.Hour, Now: func() time.Time { return now }}
	sid := auth.NewSessionID()
	s, exp, err := tok.Issue(sid, "camat.andoolo")
	require.NoError(t, err)
	require.Equal(t, now.Add(time.Hour), exp)

	claims, err := tok.Parse(s)
	require.NoError(t, err)
	require.Equal(t, auth.Claims{Username: "camat.andoolo", Session: sid}, claims, "the token names its session (jti)")
	require.NotEqual(t, sid, auth.NewSessionID())

	noSession, _, err := tok.Issue("", "camat.andoolo")
	require.NoError(t, err)
	_, err = tok.Parse(noSession)
	require.ErrorIs(t, err, auth.ErrInvalidToken, "a token without a session id cannot be revoked, so it is refused")

	other := tok
	other.Secret = []byte("ffffffffffffffffffffffffffffffff")
	_, err = other.Parse(s)
	require.ErrorIs(t, err, auth.ErrInvalidToken, "a token signed with another secret is refused")

	later := tok
	later.Now = func() time.Time { return now.Add(2 * time.Hour) }
	_, err = later.Parse(s)
	require.ErrorIs(t, err, auth.ErrInvalidToken, "an expired token is refused")

	_, err = tok.Parse(s[:len(s)-2])
	require.ErrorIs(t, err, auth.ErrInvalidToken, "a tampered token is refused")
}

func TestUsernameAndPasswordRules(t *testing.T) {
	var v domain.Validation
	auth.ValidateUsername(&v, "username", "perencana.kec-74")
	auth.ValidatePassword(&v, "password", "kuda-lompat-genteng-biru")
	require.NoError(t, v.Err())

	auth.ValidateUsername(&v, "username", "Ab")
	auth.ValidatePassword(&v, "password", "pendek")
	err := v.Err()
	var de *domain.Error
	require.ErrorAs(t, err, &de)
	require.Len(t, de.Fields, 2)
	require.Equal(t, "username", de.Fields[0].Field)
	require.Equal(t, "password", de.Fields[1].Field)
}

// The policy refuses what the attack tried ("password", "aaaaaaaaaaaa") and
// its relatives, in Indonesian, and accepts long unusual phrases.
func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		password string
		ok       bool
		says     string
	}{
		{"password", false, "minimal 12"},
		{"aaaaaaaaaaaa", false, "pengulangan"},
		{"passwordpassword", false, "mudah ditebak"},
		{"abcdefghijklmn", false, "urutan"},
		{"qwertyuiop12", false, "terlalu umum"},
		{"Password123!", false, "terlalu umum"},
		{"rahasia123456", false, "mudah ditebak"},
		{"bismillah123", false, "mudah ditebak"},
		{"kata-sandi-budi", true, ""},
		{"kuda-lompat-genteng-biru", true, ""},
		{"mvk3fz2q7hxa4t5b", true, ""}, // what the demo generates
		{string(make([]byte, 73)), false, "maksimal 72"},
	} {
		t.Run(tc.password, func(t *testing.T) {
			var v domain.Validation
			auth.ValidatePassword(&v, "password", tc.password, "budi.santoso", "Budi Santoso")
			if tc.ok {
				require.NoError(t, v.Err())
				return
			}
			var de *domain.Error
			require.ErrorAs(t, v.Err(), &de)
			require.Equal(t, "password", de.Fields[0].Field)
			require.Contains(t, de.Fields[0].Message, tc.says)
		})
	}
}

func TestTOTP(t *testing.T) {
	key, err := auth.NewTOTPKey("kadis.sultra")
	require.NoError(t, err)
	require.Contains(t, key.URL, "otpauth://totp/")
	require.Contains(t, key.URL, key.Secret)
	require.Equal(t, key.URL, auth.TOTPKeyURL("kadis.sultra", key.Secret))

	now := time.Date(2026, 11, 23, 1, 0, 10, 0, time.UTC)
	code, err := auth.TOTPCode(key.Secret, now)
	require.NoError(t, err)
	step, ok := auth.MatchTOTP(key.Secret, code, now)
	require.True(t, ok)
	require.Equal(t, now.Unix()/30, step)
	_, ok = auth.MatchTOTP(key.Secret, code, now.Add(30*time.Second))
	require.True(t, ok, "one step of clock skew is accepted")
	_, ok = auth.MatchTOTP(key.Secret, code, now.Add(2*time.Minute))
	require.False(t, ok, "an old code is refused")
	_, ok = auth.MatchTOTP(key.Secret, "12345", now)
	require.False(t, ok)

	codes, hashes, err := auth.NewRecoveryCodes()
	require.NoError(t, err)
	require.Len(t, codes, auth.RecoveryCodeCount)
	require.Len(t, hashes, auth.RecoveryCodeCount)
	require.NotContains(t, hashes[0], codes[0], "only hashes are kept")
	require.True(t, auth.CheckPassword(hashes[0], auth.NormalizeRecoveryCode(" "+codes[0][:5]+codes[0][6:]+" ")))
	require.True(t, auth.LooksLikeRecoveryCode(codes[3]))
	require.False(t, auth.LooksLikeRecoveryCode("123456"))
}

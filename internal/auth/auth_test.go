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
	s, exp, err := tok.Issue("camat.andoolo")
	require.NoError(t, err)
	require.Equal(t, now.Add(time.Hour), exp)

	sub, err := tok.Parse(s)
	require.NoError(t, err)
	require.Equal(t, "camat.andoolo", sub)

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
	auth.ValidatePassword(&v, "password", "cukup-panjang")
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

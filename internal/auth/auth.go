// Package auth holds password hashing and the API's login tokens. Roles are
// deliberately not in the token: they are read from the policies package on
// every request, so a revoked or expired grant stops working at once.
package auth

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/rencana-id/rencana/internal/domain"
)

// MinPasswordLength is the shortest password accepted for a new account.
const MinPasswordLength = 8

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// ValidateUsername checks the shape of a username: 3-64 lowercase letters,
// digits, dots, dashes or underscores.
func ValidateUsername(v *domain.Validation, field, username string) {
	if !usernamePattern.MatchString(username) {
		v.Add(field, "Nama pengguna harus 3-64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.")
	}
}

// ValidatePassword checks a new password's length (bcrypt ignores bytes past 72).
func ValidatePassword(v *domain.Validation, field, password string) {
	switch {
	case len(password) < MinPasswordLength:
		v.Add(field, "Kata sandi minimal %d karakter.", MinPasswordLength)
	case len(password) > 72:
		v.Add(field, "Kata sandi maksimal 72 karakter.")
	}
}

// HashPassword returns a bcrypt hash of password.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// dummyHash lets a login for an unknown user cost as much as one for a known
// user, so response times do not reveal which usernames exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("rencana-timing-equaliser"), bcrypt.DefaultCost)

// BurnPasswordCheck spends the time of one password check.
func BurnPasswordCheck(password string) {
	_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
}

// Tokens issues and verifies signed login tokens (JWT, HS256).
type Tokens struct {
	Secret []byte
	TTL    time.Duration
	Now    func() time.Time
}

// Issuer is the JWT "iss" rencana writes and demands.
const Issuer = "rencana"

// Issue returns a token for username and when it expires.
func (t Tokens) Issue(username string) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(t.TTL)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   username,
		Issuer:    Issuer,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
	})
	s, err := tok.SignedString(t.Secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return s, exp, nil
}

// ErrInvalidToken covers every reason a token is refused.
var ErrInvalidToken = errors.New("invalid token")

// Parse verifies a token and returns its subject.
func (t Tokens) Parse(token string) (string, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil || claims.Subject == "" {
		return "", fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	return claims.Subject, nil
}

func (t Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

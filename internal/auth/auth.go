// Package auth holds password hashing and the API's login tokens. Roles are
// deliberately not in the token: they are read from the policies package on
// every request, so a revoked or expired grant stops working at once.
package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/rencana-id/rencana/internal/domain"
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// ValidateUsername checks the shape of a username: 3-64 lowercase letters,
// digits, dots, dashes or underscores.
func ValidateUsername(v *domain.Validation, field, username string) {
	if !usernamePattern.MatchString(username) {
		v.Add(field, "Nama pengguna harus 3-64 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung.")
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

// Tokens issues and verifies signed login tokens (JWT, HS256). Every token
// names its session (the JWT id, "jti"): the API serves a token only while
// that session is on record and not revoked (see api.IssueSession).
type Tokens struct {
	Secret []byte
	TTL    time.Duration
	Now    func() time.Time
}

// Issuer is the JWT "iss" rencana writes and demands.
const Issuer = "rencana"

// NewSessionID returns a random session id (128 bits, URL-safe): the
// token's jti and the sessions table's key.
func NewSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Issue returns a token for username in session and when it expires.
func (t Tokens) Issue(session, username string) (string, time.Time, error) {
	now := t.now()
	exp := now.Add(t.TTL)
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		ID:        session,
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

// Claims are what a verified token says: who, in which session.
type Claims struct {
	Username string
	Session  string
}

// Parse verifies a token and returns its subject and session. A token
// without a session id (issued before sessions existed) is refused: it
// could not be revoked.
func (t Tokens) Parse(token string) (Claims, error) {
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return t.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil || claims.Subject == "" || claims.ID == "" {
		return Claims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	return Claims{Username: claims.Subject, Session: claims.ID}, nil
}

func (t Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

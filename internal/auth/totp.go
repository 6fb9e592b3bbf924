package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"
)

// TOTP second factor (RFC 6238 through github.com/pquerna/otp): 6 digits,
// 30-second steps, SHA-1, which every authenticator app reads from the
// otpauth:// URL; one step of clock skew either way is accepted.
const (
	totpPeriod = 30
	totpSkew   = 1
	// RecoveryCodeCount is how many one-time recovery codes an enrolment
	// gives; each logs in once in place of a TOTP code.
	RecoveryCodeCount = 10
)

// TOTPKey is a new second-factor secret and the otpauth:// URL an
// authenticator app imports (as a QR code or typed in).
type TOTPKey struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// NewTOTPKey generates a secret for username.
func NewTOTPKey(username string) (TOTPKey, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: Issuer, AccountName: username, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("totp key: %w", err)
	}
	return TOTPKey{Secret: k.Secret(), URL: k.URL()}, nil
}

// TOTPKeyURL rebuilds the otpauth:// URL of an existing secret (a pending
// enrolment shown again).
func TOTPKeyURL(username, secret string) string {
	q := url.Values{"secret": {secret}, "issuer": {Issuer}, "period": {strconv.Itoa(totpPeriod)},
		"digits": {"6"}, "algorithm": {"SHA1"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + Issuer + ":" + username, RawQuery: q.Encode()}
	return u.String()
}

// MatchTOTP checks code against secret at now and returns the time step it
// matched, so the caller can refuse a step at or before the last one used
// (a replayed code); ok is false for a wrong code.
func MatchTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	for d := -totpSkew; d <= totpSkew; d++ {
		at := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return at.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// TOTPCode is the code of secret at t (what an authenticator app shows);
// tests and the demo use it.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// NewRecoveryCodes returns RecoveryCodeCount fresh codes ("abcde-fghij",
// 50 random bits each) and their bcrypt hashes, which is all that is stored.
func NewRecoveryCodes() (codes, hashes []string, err error) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for range RecoveryCodeCount {
		var b [7]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, nil, err
		}
		s := strings.ToLower(enc.EncodeToString(b[:]))[:10]
		code := s[:5] + "-" + s[5:]
		h, err := bcrypt.GenerateFromPassword([]byte(code), bcrypt.DefaultCost)
		if err != nil {
			return nil, nil, err
		}
		codes, hashes = append(codes, code), append(hashes, string(h))
	}
	return codes, hashes, nil
}

// NormalizeRecoveryCode lowercases a typed recovery code and restores its
// dash, so "ABCDE FGHIJ" and "abcdefghij" both match.
func NormalizeRecoveryCode(code string) string {
	c := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(code)))
	if len(c) != 10 {
		return ""
	}
	return c[:5] + "-" + c[5:]
}

// LooksLikeRecoveryCode tells a recovery code from a TOTP code in the one
// `otp` field of the login.
func LooksLikeRecoveryCode(code string) bool { return NormalizeRecoveryCode(code) != "" }

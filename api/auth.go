package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

const (
	// ctxUsername holds the authenticated, existing and enabled user.
	ctxUsername = "username"
	// ctxTokenSubject holds the verified token's auth.Claims, before the
	// session and the account are checked.
	ctxTokenSubject = "token_subject"
)

// minSecretBytes is the shortest signing secret the server signs or
// verifies with; the configuration demands as much (RENCANA_JWT_SECRET).
const minSecretBytes = 32

// authMiddleware is what every non-public route runs: Echo's JWT middleware
// extracts the bearer token and has it verified by auth.Tokens (HS256, the
// issuer, a required and unexpired exp, a session id), then the session must
// be active and the account enabled (requireSession, sessions.go), so
// logging out, a password change, disabling a user or an admin's "end all
// sessions" cut a token off before it expires. Every refusal is a 401 problem.
func (s *Server) authMiddleware() []echo.MiddlewareFunc {
	jwt := echojwt.WithConfig(echojwt.Config{
		ContextKey:  ctxTokenSubject,
		TokenLookup: "header:Authorization:Bearer ",
		ParseTokenFunc: func(_ echo.Context, token string) (any, error) {
			if len(s.tokens.Secret) < minSecretBytes {
				return nil, errors.New("no signing secret configured")
			}
			return s.tokens.Parse(token)
		},
		ErrorHandler: func(_ echo.Context, err error) error {
			var missing *echojwt.TokenExtractionError
			if errors.As(err, &missing) {
				return domain.Errorf(domain.EUNAUTHORIZED, "Sertakan token masuk: header Authorization: Bearer <token>.")
			}
			return domain.Errorf(domain.EUNAUTHORIZED, "Token tidak sah atau sudah kedaluwarsa; silakan masuk lagi.")
		},
	})
	return []echo.MiddlewareFunc{jwt, s.requireSession}
}

func currentUser(c echo.Context) string {
	u, _ := c.Get(ctxUsername).(string)
	return u
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// OTP is the second factor: a 6-digit TOTP code or a recovery code.
	OTP string `json:"otp"`
}

type userView struct {
	Username string         `json:"username"`
	FullName string         `json:"full_name"`
	Roles    []domain.Grant `json:"roles"`
	// TwoFactor says whether the account logs in with a second factor.
	TwoFactor bool `json:"two_factor"`
	// TwoFactorRequired says whether the deployment demands one of it
	// (RENCANA_REQUIRE_2FA and an admin or kepala dinas role).
	TwoFactorRequired bool `json:"two_factor_required"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userView  `json:"user"`
	// RecoveryCodes are given once, when this login completed the
	// enrolment of the second factor.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
}

// login checks a username and password (and the second factor, for an
// account that has one or must have one) and returns a signed token for a
// new session. Unknown users and wrong passwords get the same answer in the
// same time. Failed attempts are rate limited per username and address
// (ratelimit.go). Every outcome is in the security audit.
func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	username := strings.ToLower(strings.TrimSpace(req.Username))
	var v domain.Validation
	switch {
	case username == "":
		v.Add("username", "Nama pengguna wajib diisi.")
	case len(username) > 64:
		v.Add("username", "Nama pengguna paling panjang 64 karakter.")
	}
	if req.Password == "" {
		v.Add("password", "Kata sandi wajib diisi.")
	}
	if len(req.OTP) > 32 {
		v.Add("otp", "Kode verifikasi paling panjang 32 karakter.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	attempt, wait := s.limiter.begin(username, c.RealIP())
	if attempt == nil {
		secs := int((wait + time.Second - 1) / time.Second)
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
		s.audit(c, store.EventLoginLockedOut, username, "", fmt.Sprintf("ditahan %d detik", secs))
		return domain.Errorf(domain.ERATELIMIT,
			"Terlalu banyak percobaan masuk yang gagal untuk akun ini dari alamat Anda. Coba lagi dalam %d detik.", secs)
	}
	ctx := c.Request().Context()
	u, err := s.db.GetUser(ctx, username)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		auth.BurnPasswordCheck(req.Password)
	} else if err != nil {
		attempt.cancel()
		return err
	}
	if err != nil || u.Disabled || !auth.CheckPassword(u.PasswordHash, req.Password) {
		reason := "kata sandi salah"
		switch {
		case err != nil:
			reason = "pengguna tidak dikenal"
		case u.Disabled:
			reason = "akun nonaktif"
		}
		s.audit(c, store.EventLoginFailed, username, "", reason)
		return domain.Errorf(domain.EUNAUTHORIZED, "Nama pengguna atau kata sandi salah.")
	}
	if len(s.tokens.Secret) < minSecretBytes {
		attempt.cancel()
		return errors.New("login: no JWT signing secret configured")
	}
	recovery, err := s.secondFactor(c, u, strings.TrimSpace(req.OTP), attempt)
	if err != nil {
		return err
	}
	token, exp, err := IssueSession(ctx, s.db, s.tokens, u.Username, c.Request().UserAgent(), c.RealIP())
	if err != nil {
		attempt.cancel()
		return err
	}
	attempt.succeeded()
	s.audit(c, store.EventLoginSucceeded, u.Username, u.Username, "")
	view, err := s.userView(c, u.Username, u.FullName)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: exp.UTC(), User: view, RecoveryCodes: recovery})
}

// me returns the caller and their grants, active or not.
func (s *Server) me(c echo.Context) error {
	u, err := s.db.GetUser(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	view, err := s.userView(c, u.Username, u.FullName)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, view)
}

func (s *Server) userView(c echo.Context, username, fullName string) (userView, error) {
	grants, err := s.authz.Grants(c.Request().Context(), username)
	if err != nil {
		return userView{}, err
	}
	if grants == nil {
		grants = []domain.Grant{}
	}
	u, err := s.db.GetUser(c.Request().Context(), username)
	if err != nil {
		return userView{}, err
	}
	return userView{Username: username, FullName: fullName, Roles: grants, TwoFactor: u.HasSecondFactor(),
		TwoFactorRequired: s.require2FA && needsSecondFactor(grants)}, nil
}

package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
)

const (
	// ctxUsername holds the authenticated, existing and enabled user.
	ctxUsername = "username"
	// ctxTokenSubject holds the subject of a verified token, before the
	// account is checked.
	ctxTokenSubject = "token_subject"
)

// minSecretBytes is the shortest signing secret the server signs or
// verifies with; the configuration demands as much (RENCANA_JWT_SECRET).
const minSecretBytes = 32

// authMiddleware is what every non-public route runs: Echo's JWT middleware
// extracts the bearer token and has it verified by auth.Tokens (HS256, the
// issuer, a required and unexpired exp), then the account must still exist
// and be enabled, so disabling a user cuts them off before their token
// expires. Every refusal is a 401 problem.
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
	return []echo.MiddlewareFunc{jwt, s.requireActiveUser}
}

// requireActiveUser turns a verified token subject into the current user,
// provided the account exists and is enabled.
func (s *Server) requireActiveUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		username, _ := c.Get(ctxTokenSubject).(string)
		u, err := s.db.GetUser(c.Request().Context(), username)
		switch {
		case domain.ErrorCode(err) == domain.ENOTFOUND || (err == nil && u.Disabled):
			return domain.Errorf(domain.EUNAUTHORIZED, "Akun tidak aktif; silakan masuk lagi.")
		case err != nil:
			return err
		}
		c.Set(ctxUsername, username)
		return next(c)
	}
}

func currentUser(c echo.Context) string {
	u, _ := c.Get(ctxUsername).(string)
	return u
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type userView struct {
	Username string         `json:"username"`
	FullName string         `json:"full_name"`
	Roles    []domain.Grant `json:"roles"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      userView  `json:"user"`
}

// login checks a username and password and returns a signed token. Unknown
// users and wrong passwords get the same answer in the same time. Failed
// attempts are rate limited per username and address (ratelimit.go).
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
	if err := v.Err(); err != nil {
		return err
	}
	attempt, wait := s.limiter.begin(username, c.RealIP())
	if attempt == nil {
		secs := int((wait + time.Second - 1) / time.Second)
		c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
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
		return domain.Errorf(domain.EUNAUTHORIZED, "Nama pengguna atau kata sandi salah.")
	}
	if len(s.tokens.Secret) < minSecretBytes {
		attempt.cancel()
		return errors.New("login: no JWT signing secret configured")
	}
	token, exp, err := s.tokens.Issue(u.Username)
	if err != nil {
		attempt.cancel()
		return err
	}
	attempt.succeeded()
	view, err := s.userView(c, u.Username, u.FullName)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: exp.UTC(), User: view})
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
	return userView{Username: username, FullName: fullName, Roles: grants}, nil
}

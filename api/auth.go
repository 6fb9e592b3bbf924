package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
)

const ctxUsername = "username"

// authenticate demands a valid bearer token and puts its subject in the
// context. The user must still exist and be enabled.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			return domain.Errorf(domain.EUNAUTHORIZED, "Sertakan token masuk: header Authorization: Bearer <token>.")
		}
		username, err := s.tokens.Parse(token)
		if err != nil {
			return domain.Errorf(domain.EUNAUTHORIZED, "Token tidak sah atau sudah kedaluwarsa; silakan masuk lagi.")
		}
		u, err := s.db.GetUser(c.Request().Context(), username)
		if err != nil || u.Disabled {
			return domain.Errorf(domain.EUNAUTHORIZED, "Akun tidak aktif; silakan masuk lagi.")
		}
		c.Set(ctxUsername, username)
		return next(c)
	}
}

func currentUser(c echo.Context) string {
	u, _ := c.Get(ctxUsername).(string)
	return u
}

// bind decodes a JSON body strictly: unknown fields, trailing data and wrong
// types are 422s that name the field.
func bind(c echo.Context, dst any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "Content-Type harus application/json.")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return &domain.Error{Code: domain.EINVALID, Message: "Data JSON tidak valid.",
			Fields: []domain.FieldError{{Field: "body", Message: "Ada data tambahan setelah objek JSON."}}}
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	fe := domain.FieldError{Field: "body", Message: "JSON tidak dapat dibaca."}
	switch {
	case errors.As(err, &syn):
		fe.Message = fmt.Sprintf("JSON rusak di posisi %d.", syn.Offset)
	case errors.As(err, &typ):
		fe.Field = typ.Field
		fe.Message = fmt.Sprintf("Harus bertipe %s.", jsonTypeName(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		fe.Field = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		fe.Message = "Kolom tidak dikenal."
	case errors.Is(err, io.EOF):
		fe.Message = "Isi permintaan kosong."
	}
	return &domain.Error{Code: domain.EINVALID, Message: "Data JSON tidak valid.", Fields: []domain.FieldError{fe}}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "teks"
	case "int", "int64", "int32", "uint", "uint64":
		return "bilangan bulat"
	case "float64", "float32":
		return "angka"
	case "bool":
		return "boolean"
	case "slice":
		return "daftar"
	case "struct", "map":
		return "objek"
	}
	return kind
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
// users and wrong passwords get the same answer in the same time.
func (s *Server) login(c echo.Context) error {
	var req loginRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	var v domain.Validation
	if req.Username == "" {
		v.Add("username", "Nama pengguna wajib diisi.")
	}
	if req.Password == "" {
		v.Add("password", "Kata sandi wajib diisi.")
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.db.GetUser(ctx, strings.ToLower(strings.TrimSpace(req.Username)))
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		auth.BurnPasswordCheck(req.Password)
	} else if err != nil {
		return err
	}
	if err != nil || u.Disabled || !auth.CheckPassword(u.PasswordHash, req.Password) {
		return domain.Errorf(domain.EUNAUTHORIZED, "Nama pengguna atau kata sandi salah.")
	}
	token, exp, err := s.tokens.Issue(u.Username)
	if err != nil {
		return err
	}
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
	grants, err := s.grants.Grants(c.Request().Context(), username)
	if err != nil {
		return userView{}, err
	}
	if grants == nil {
		grants = []domain.Grant{}
	}
	return userView{Username: username, FullName: fullName, Roles: grants}, nil
}

package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// Administration: accounts and role grants. Grant changes go through the
// Authorizer, which writes each one together with its audit row
// (grant_events) and refuses changes to one's own grants and admin mixed
// with a business role; this file validates input and names the fields.

const (
	maxFullName    = 200
	maxEmail       = 254
	maxGrantsAtNew = 20
)

type grantInput struct {
	Role       domain.Role `json:"role"`
	Scope      string      `json:"scope"`
	ValidFrom  *string     `json:"valid_from"`
	ValidUntil *string     `json:"valid_until"`
}

type createUserRequest struct {
	Username string       `json:"username"`
	Password string       `json:"password"`
	FullName string       `json:"full_name"`
	Email    string       `json:"email"`
	Roles    []grantInput `json:"roles"`
}

type removeRoleRequest struct {
	Role  domain.Role `json:"role"`
	Scope string      `json:"scope"`
}

// adminUser is an account as administrators see it (never its password).
type adminUser struct {
	Username    string                `json:"username"`
	FullName    string                `json:"full_name"`
	Email       string                `json:"email"`
	Disabled    bool                  `json:"disabled"`
	CreatedAt   time.Time             `json:"created_at"`
	Roles       []domain.Grant        `json:"roles"`
	GrantEvents []policies.GrantEvent `json:"grant_events,omitempty"`
}

type adminUserList struct {
	Items      []adminUser `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// require answers 403 unless the caller may do act on the national object obj.
func (s *Server) require(c echo.Context, obj, act string) error {
	d, err := s.authz.Decide(c.Request().Context(), policies.Request{Username: currentUser(c), Object: obj, Action: act,
		Region: domain.NationalScope, At: s.now()})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Hanya administrator yang dapat mengelola pengguna dan peran.")
	}
	return nil
}

func roleList() string {
	s := make([]string, len(domain.Roles))
	for i, r := range domain.Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// checkGrant validates one grant and turns it into a domain.Grant; prefix
// names its place in the request ("roles[0]." or "").
func (s *Server) checkGrant(ctx context.Context, v *domain.Validation, prefix string, in grantInput) (domain.Grant, error) {
	g := domain.Grant{Role: in.Role, Scope: strings.TrimSpace(in.Scope)}
	switch lvl := in.Role.ScopeLevel(); {
	case !domain.ValidRole(in.Role):
		v.Add(prefix+"role", "Peran %q tidak dikenal; pilih salah satu: %s.", in.Role, roleList())
	case lvl == 0 && g.Scope != domain.NationalScope:
		v.Add(prefix+"scope", "Peran %s berlaku nasional: cakupannya harus \"*\".", in.Role)
	case lvl != 0:
		got, err := domain.ParseRegionCode(g.Scope)
		if err != nil || !in.Role.AcceptsScope(got) {
			v.Add(prefix+"scope", "Cakupan peran %s harus %s.", in.Role, in.Role.ScopeHint())
			break
		}
		ok, err := s.db.RegionExists(ctx, g.Scope)
		if err != nil {
			return g, err
		}
		if !ok {
			v.Add(prefix+"scope", "Wilayah %q tidak ada dalam daftar wilayah Kemendagri.", g.Scope)
		}
	}
	parse := func(field string, raw *string) *time.Time {
		if raw == nil || *raw == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, *raw)
		if err != nil {
			v.Add(prefix+field, "Tanggal harus berformat RFC 3339, misalnya 2026-03-01T00:00:00+08:00.")
			return nil
		}
		t = t.UTC()
		return &t
	}
	g.ValidFrom = parse("valid_from", in.ValidFrom)
	g.ValidUntil = parse("valid_until", in.ValidUntil)
	if g.ValidFrom != nil && g.ValidUntil != nil && !g.ValidUntil.After(*g.ValidFrom) {
		v.Add(prefix+"valid_until", "Tanggal akhir berlaku harus setelah tanggal mulai berlaku.")
	}
	return g, nil
}

// createUser makes an account with its grants. Every grant is validated
// before anything is written; if one is still refused while saving, the
// account and the grants already given are taken back.
func (s *Server) createUser(c echo.Context) error {
	if err := s.require(c, policies.ObjUsers, policies.ActManage); err != nil {
		return err
	}
	if err := s.require(c, policies.ObjGrants, policies.ActManage); err != nil {
		return err
	}
	var req createUserRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx, by := c.Request().Context(), currentUser(c)
	var v domain.Validation
	auth.ValidateUsername(&v, "username", req.Username)
	auth.ValidatePassword(&v, "password", req.Password, req.Username, req.FullName)
	fullName := strings.TrimSpace(req.FullName)
	if fullName == "" {
		v.Add("full_name", "Nama lengkap wajib diisi.")
	}
	domain.CheckLen(&v, "full_name", "Nama lengkap", fullName, maxFullName)
	email := strings.TrimSpace(req.Email)
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > maxEmail {
			v.Add("email", "Alamat surel tidak valid, misalnya nama@koperasi.go.id.")
		}
	}
	if len(req.Roles) > maxGrantsAtNew {
		v.Add("roles", "Paling banyak %d peran sekaligus.", maxGrantsAtNew)
	}
	var grants []domain.Grant
	admin, business := false, false
	for i, in := range req.Roles {
		g, err := s.checkGrant(ctx, &v, fmt.Sprintf("roles[%d].", i), in)
		if err != nil {
			return err
		}
		admin = admin || g.Role == domain.RoleAdmin
		business = business || (domain.ValidRole(g.Role) && g.Role != domain.RoleAdmin)
		grants = append(grants, g)
	}
	if admin && business {
		v.Add("roles", "Peran admin tidak dapat digabung dengan peran lain pada pengguna yang sama (pemisahan tugas).")
	}
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		return err
	}
	if err := s.db.CreateUser(ctx, store.User{Username: req.Username, FullName: fullName, Email: email, PasswordHash: hash}); err != nil {
		return err
	}
	for i, g := range grants {
		if err := s.authz.AddGrant(ctx, by, req.Username, g); err != nil {
			s.undoUser(ctx, by, req.Username, grants[:i])
			return prefixFields(err, fmt.Sprintf("roles[%d].", i))
		}
	}
	u, err := s.adminUser(ctx, req.Username, true)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/admin/users/"+u.Username)
	return c.JSON(http.StatusCreated, u)
}

// undoUser takes back a half-created account; failures are logged, the
// client hears the original error.
func (s *Server) undoUser(ctx context.Context, by, username string, granted []domain.Grant) {
	for _, g := range granted {
		if err := s.authz.RemoveGrant(ctx, by, username, g.Role, g.Scope); err != nil {
			s.log.Error("undo user creation: remove grant", "username", username, "role", g.Role, "scope", g.Scope, "err", err)
		}
	}
	if err := s.db.DeleteUser(ctx, username); err != nil {
		s.log.Error("undo user creation: delete user", "username", username, "err", err)
	}
}

// prefixFields renames the field errors of a domain error to their place
// in the request.
func prefixFields(err error, prefix string) error {
	var de *domain.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	out := &domain.Error{Code: de.Code, Message: de.Message, Fields: make([]domain.FieldError, len(de.Fields))}
	for i, f := range de.Fields {
		out.Fields[i] = domain.FieldError{Field: prefix + f.Field, Message: f.Message}
	}
	return out
}

func (s *Server) adminUser(ctx context.Context, username string, withEvents bool) (adminUser, error) {
	u, err := s.db.GetUser(ctx, username)
	if err != nil {
		return adminUser{}, err
	}
	return s.adminView(ctx, u, withEvents)
}

func (s *Server) adminView(ctx context.Context, u store.User, withEvents bool) (adminUser, error) {
	grants, err := s.authz.Grants(ctx, u.Username)
	if err != nil {
		return adminUser{}, err
	}
	out := adminUser{Username: u.Username, FullName: u.FullName, Email: u.Email, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt.UTC(), Roles: grants}
	if withEvents {
		if out.GrantEvents, err = s.authz.GrantEvents(ctx, u.Username); err != nil {
			return adminUser{}, err
		}
		if out.GrantEvents == nil {
			out.GrantEvents = []policies.GrantEvent{}
		}
	}
	return out, nil
}

// listUsers pages through accounts by username.
func (s *Server) listUsers(c echo.Context) error {
	if err := s.require(c, policies.ObjUsers, policies.ActRead); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1, store.MaxPageSize, 50)
	if err != nil {
		return err
	}
	var after string
	if _, err := decodeCursor(c, &after); err != nil {
		return err
	}
	ctx := c.Request().Context()
	users, more, err := s.db.ListUsers(ctx, store.UserQuery{After: after, Limit: limit})
	if err != nil {
		return err
	}
	out := adminUserList{Items: make([]adminUser, 0, len(users))}
	for _, u := range users {
		view, err := s.adminView(ctx, u, false)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, view)
	}
	if more {
		s := encodeCursor(users[len(users)-1].Username)
		out.NextCursor = &s
	}
	return c.JSON(http.StatusOK, out)
}

// getUser shows an account with all its grants and the audit of every
// change to them.
func (s *Server) getUser(c echo.Context) error {
	if err := s.require(c, policies.ObjUsers, policies.ActRead); err != nil {
		return err
	}
	if err := s.require(c, policies.ObjGrants, policies.ActRead); err != nil {
		return err
	}
	u, err := s.adminUser(c.Request().Context(), c.Param("username"), true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// addRole grants a role within a scope, optionally for a while (a
// delegation); granting the same role and scope again replaces its window.
func (s *Server) addRole(c echo.Context) error {
	if err := s.require(c, policies.ObjGrants, policies.ActManage); err != nil {
		return err
	}
	ctx, username := c.Request().Context(), c.Param("username")
	if _, err := s.db.GetUser(ctx, username); err != nil {
		return err
	}
	var in grantInput
	if err := bind(c, &in); err != nil {
		return err
	}
	var v domain.Validation
	g, err := s.checkGrant(ctx, &v, "", in)
	if err != nil {
		return err
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.authz.AddGrant(ctx, currentUser(c), username, g); err != nil {
		return err
	}
	u, err := s.adminUser(ctx, username, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// removeRole takes a role within a scope away, whatever its window.
func (s *Server) removeRole(c echo.Context) error {
	if err := s.require(c, policies.ObjGrants, policies.ActManage); err != nil {
		return err
	}
	ctx, username := c.Request().Context(), c.Param("username")
	if _, err := s.db.GetUser(ctx, username); err != nil {
		return err
	}
	var req removeRoleRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	var v domain.Validation
	if !domain.ValidRole(req.Role) {
		v.Add("role", "Peran %q tidak dikenal; pilih salah satu: %s.", req.Role, roleList())
	}
	if strings.TrimSpace(req.Scope) == "" {
		v.Add("scope", "Cakupan wajib diisi, misalnya 74.05 atau \"*\".")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.authz.RemoveGrant(ctx, currentUser(c), username, req.Role, strings.TrimSpace(req.Scope)); err != nil {
		return err
	}
	u, err := s.adminUser(ctx, username, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

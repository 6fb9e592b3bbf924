package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// Delegation by a kepala dinas (the seeds' "pendelegasian sebagian
// kewenangan dari dinas teknis ke kecamatan"): named actions of his own
// role, within his scope, to a user of his region, for a window, without
// the admin. It is a grant carrying those actions (policies), audited in
// grant_events with the kepala dinas as the one who granted, listed to
// both parties, revocable by him.

func (s *Server) delegationRoutes(v1 *echo.Group, a []echo.MiddlewareFunc) {
	v1.POST("/delegations", s.createDelegation, a...)
	v1.GET("/delegations", s.listDelegations, a...)
	v1.DELETE("/delegations/:id", s.revokeDelegation, a...)
}

// MaxDelegation is the longest window a delegation may have.
const MaxDelegation = 366 * 24 * time.Hour

type delegationInput struct {
	To         string      `json:"to"`
	Role       domain.Role `json:"role"`
	Scope      string      `json:"scope"`
	Actions    []string    `json:"actions"`
	ValidFrom  *time.Time  `json:"valid_from"`
	ValidUntil *time.Time  `json:"valid_until"`
}

type delegationList struct {
	Items []store.Delegation `json:"items"`
}

// createDelegation answers POST /delegations.
func (s *Server) createDelegation(c echo.Context) error {
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	var in delegationInput
	if err := bind(c, &in); err != nil {
		return err
	}
	var v domain.Validation
	if in.Role != domain.RoleKadisKabKota && in.Role != domain.RoleKadisProvinsi {
		v.Add("role", "Hanya kepala dinas (kadis_kabkota atau kadis_provinsi) yang mendelegasikan kewenangannya.")
	}
	if _, err := domain.ParseRegionCode(in.Scope); err != nil {
		v.Add("scope", "Cakupan harus kode wilayah, misalnya 32.15.01.")
	}
	if in.To == "" {
		v.Add("to", "Sebutkan pengguna penerima delegasi.")
	} else if in.To == user {
		v.Add("to", "Anda tidak dapat mendelegasikan kepada diri sendiri.")
	}
	if in.ValidFrom == nil {
		v.Add("valid_from", "Tanggal mulai wajib diisi.")
	}
	if in.ValidUntil == nil {
		v.Add("valid_until", "Tanggal akhir wajib diisi: delegasi selalu untuk sementara.")
	}
	if in.ValidFrom != nil && in.ValidUntil != nil {
		switch {
		case !in.ValidUntil.After(*in.ValidFrom):
			v.Add("valid_until", "Tanggal akhir harus setelah tanggal mulai.")
		case in.ValidUntil.Sub(*in.ValidFrom) > MaxDelegation:
			v.Add("valid_until", "Delegasi paling lama satu tahun.")
		case !in.ValidUntil.After(now):
			v.Add("valid_until", "Tanggal akhir sudah lewat.")
		}
	}
	mine := s.authz.RoleActions(in.Role)
	if len(in.Actions) == 0 {
		v.Add("actions", "Sebutkan aksi yang didelegasikan.")
	}
	for i, a := range in.Actions {
		if !slices.Contains(mine, domain.Action(a)) {
			v.Add(fmt.Sprintf("actions[%d]", i), "Aksi %q bukan kewenangan peran %s.", a, in.Role)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	// The caller must hold the role himself, over the delegated scope.
	grants, err := s.authz.ActiveGrants(ctx, user, now)
	if err != nil {
		return err
	}
	var own *domain.Grant
	for i, g := range grants {
		if g.Role == in.Role && len(g.Actions) == 0 && domain.ScopeCovers(g.Scope, in.Scope) {
			own = &grants[i]
		}
	}
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjDelegations, Action: policies.ActCreate, Region: in.Scope, At: now})
	if err != nil {
		return err
	}
	if own == nil || !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak memegang peran %s atas wilayah %s.", in.Role, in.Scope)
	}
	// The grantee must work in the kepala dinas's region.
	if _, err := s.db.GetUser(ctx, in.To); err != nil {
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			var nv domain.Validation
			nv.Add("to", "Pengguna %q tidak ditemukan.", in.To)
			return nv.Err()
		}
		return err
	}
	theirs, err := s.authz.Grants(ctx, in.To)
	if err != nil {
		return err
	}
	inRegion := false
	for _, g := range theirs {
		if g.Role == in.Role && g.Scope == in.Scope {
			return domain.Errorf(domain.ECONFLICT, "%s sudah memegang peran %s atas %s.", in.To, in.Role, in.Scope)
		}
		if len(g.Actions) == 0 && g.Scope != domain.NationalScope && domain.ScopeCovers(own.Scope, g.Scope) {
			inRegion = true
		}
	}
	if !inRegion {
		var nv domain.Validation
		nv.Add("to", "%s tidak bekerja di wilayah %s.", in.To, own.Scope)
		return nv.Err()
	}
	from, until := in.ValidFrom.UTC().Truncate(time.Second), in.ValidUntil.UTC().Truncate(time.Second)
	if err := s.authz.AddGrant(ctx, user, in.To, domain.Grant{Role: in.Role, Scope: in.Scope, ValidFrom: &from, ValidUntil: &until, Actions: in.Actions}); err != nil {
		return err
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	del := store.Delegation{ID: "dlg-" + hex.EncodeToString(id), Grantor: user, Grantee: in.To, Role: in.Role, Scope: in.Scope,
		Actions: in.Actions, ValidFrom: from, ValidUntil: until, CreatedAt: now.UTC()}
	if err := s.db.CreateDelegation(ctx, del); err != nil {
		_ = s.authz.RemoveGrant(ctx, user, in.To, in.Role, in.Scope)
		return err
	}
	return c.JSON(http.StatusCreated, del)
}

// listDelegations answers GET /delegations: those the caller gave or received.
func (s *Server) listDelegations(c echo.Context) error {
	if err := s.require(c, policies.ObjDelegations, policies.ActRead); err != nil {
		return err
	}
	ds, err := s.db.ListDelegations(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, delegationList{Items: ds})
}

// revokeDelegation answers DELETE /delegations/{id}: the grantor takes it
// back (the grant goes, the record stays, marked revoked).
func (s *Server) revokeDelegation(c echo.Context) error {
	ctx, user := c.Request().Context(), currentUser(c)
	d, err := s.db.GetDelegation(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	switch user {
	case d.Grantor:
	case d.Grantee:
		return domain.Errorf(domain.EFORBIDDEN, "Hanya pemberi delegasi yang dapat mencabutnya.")
	default:
		return domain.Errorf(domain.ENOTFOUND, "Pendelegasian %q tidak ditemukan.", d.ID)
	}
	if d.RevokedAt != nil {
		return domain.Errorf(domain.ECONFLICT, "Pendelegasian %q sudah dicabut.", d.ID)
	}
	if err := s.authz.RemoveGrant(ctx, user, d.Grantee, d.Role, d.Scope); err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return err
	}
	if err := s.db.RevokeDelegation(ctx, d.ID, user, s.now()); err != nil {
		return err
	}
	d, err = s.db.GetDelegation(ctx, d.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// --- BUMDes businesses --------------------------------------------------------

type bumdesList struct {
	Items []store.BUMDesBusiness `json:"items"`
}

// listBUMDes lists the recorded BUMDes businesses of the cycle's province
// that the caller may read: each is decided on its own desa, so a kab/kota
// planner sees those of its kab/kota.
func (s *Server) listBUMDes(c echo.Context) error {
	cy, _, err := s.authorizedCycle(c, policies.ObjBUMDes, policies.ActRead, "Anda tidak berwenang melihat data usaha BUMDes siklus %s.")
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	all, err := s.db.ListBUMDesBusinesses(ctx, cy.ProvinceCode, false)
	if err != nil {
		return err
	}
	out := bumdesList{Items: []store.BUMDesBusiness{}}
	for _, b := range all {
		d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjBUMDes, Action: policies.ActRead, Region: b.RegionCode, At: now})
		if err != nil {
			return err
		}
		if d.Allowed {
			out.Items = append(out.Items, b)
		}
	}
	return c.JSON(http.StatusOK, out)
}

type bumdesRequest struct {
	RegionCode string   `json:"region_code"`
	Name       string   `json:"name"`
	Business   string   `json:"business"`
	Keywords   []string `json:"keywords"`
}

// bumdesID names a new BUMDes business record; with an Idempotency-Key it
// is derived from (user, key), so a retried POST writes the same record
// again instead of a second one.
func bumdesID(username, key string) string { return "bdm-" + keyedID("bumdes", username, key, 10) }

// createBUMDes records a business a BUMDes runs in a desa of the cycle's
// province, so that consolidation warns about proposals that would compete
// with it. Businesses belong to the desa, not to the cycle: the cycle in the
// path is where the planner works and which province is meant.
func (s *Server) createBUMDes(c echo.Context) error {
	cy, err := s.visibleCycle(c)
	if err != nil {
		return err
	}
	var req bumdesRequest
	key, err := bindCreate(c, &req)
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	b := store.BUMDesBusiness{
		ID: bumdesID(user, key), RegionCode: strings.TrimSpace(req.RegionCode), Name: strings.TrimSpace(req.Name),
		Business: strings.TrimSpace(req.Business), Active: true, UpdatedAt: now.UTC(),
	}
	var v domain.Validation
	lvl, perr := domain.ParseRegionCode(b.RegionCode)
	switch {
	case b.RegionCode == "":
		v.Add("region_code", "Kode desa wajib diisi, misalnya %s.05.03.2001.", cy.ProvinceCode)
	case len(b.RegionCode) > 13 || perr != nil || lvl != domain.LevelDesa:
		v.Add("region_code", "Kode %q bukan kode desa/kelurahan (empat segmen, misalnya 74.05.03.2001).", b.RegionCode)
	case domain.RegionProvince(b.RegionCode) != cy.ProvinceCode:
		v.Add("region_code", "Desa %s tidak termasuk provinsi %s dari siklus %s.", b.RegionCode, cy.ProvinceCode, cy.ID)
	default:
		ok, err := s.db.RegionExists(ctx, b.RegionCode)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("region_code", "Desa %q tidak ada dalam daftar wilayah Kemendagri.", b.RegionCode)
		}
	}
	if b.Name == "" {
		v.Add("name", "Nama BUMDes wajib diisi, misalnya BUMDes Maju Bersama.")
	}
	domain.CheckLen(&v, "name", "Nama BUMDes", b.Name, maxPersonField)
	if b.Business == "" {
		v.Add("business", "Jenis usaha wajib diisi, misalnya pengolahan kopi bubuk.")
	}
	domain.CheckLen(&v, "business", "Jenis usaha", b.Business, maxBUMDesBusiness)
	if len(req.Keywords) > maxBUMDesKeywords {
		v.Add("keywords", "Paling banyak %d kata kunci (sekarang %d).", maxBUMDesKeywords, len(req.Keywords))
	}
	for i, k := range req.Keywords {
		domain.CheckLen(&v, fmt.Sprintf("keywords[%d]", i), "Kata kunci", k, maxKeyword)
		if k = strings.TrimSpace(k); k != "" {
			b.Keywords = append(b.Keywords, k)
		}
	}
	if len(b.Keywords) == 0 {
		v.Add("keywords", "Minimal satu kata kunci usaha wajib diisi (kata yang akan muncul di judul usulan yang menyainginya, misalnya kopi).")
	}
	if err := v.Err(); err != nil {
		return err
	}
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjBUMDes, Action: policies.ActManage, Region: b.RegionCode, At: now})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang mencatat usaha BUMDes di desa %s.", b.RegionCode)
	}
	if err := s.db.SaveBUMDesBusiness(ctx, b); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, b)
}

package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
)

// Reference data (regions, nomenclature), read-only here. Cycles have their
// own endpoints (cycles.go).

// requireReference lets through the roles that read reference data (every
// role, per policy.csv); someone without any grant gets 403.
func (s *Server) requireReference(c echo.Context) error {
	d, err := s.authz.Decide(c.Request().Context(), policies.Request{Username: currentUser(c), Object: policies.ObjReference,
		Action: policies.ActRead, Region: domain.NationalScope, At: s.now()})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda belum memiliki peran; hubungi administrator.")
	}
	return nil
}

type regionList struct {
	Items []store.Region `json:"items"`
}

// listRegions walks the region tree one level at a time: the provinces
// without parent, the children of parent otherwise.
func (s *Server) listRegions(c echo.Context) error {
	if err := s.requireReference(c); err != nil {
		return err
	}
	parent := strings.TrimSpace(c.QueryParam("parent"))
	if parent != "" {
		if _, err := domain.ParseRegionCode(parent); err != nil {
			return invalidField("parent", "Kode wilayah induk tidak berbentuk 74, 74.05 atau 74.05.03.")
		}
	}
	regions, err := s.db.ListRegions(c.Request().Context(), parent)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, regionList{Items: regions})
}

func (s *Server) getRegion(c echo.Context) error {
	if err := s.requireReference(c); err != nil {
		return err
	}
	code := c.Param("code")
	if _, err := domain.ParseRegionCode(code); err != nil {
		return domain.Errorf(domain.ENOTFOUND, "Wilayah dengan kode %q tidak ditemukan.", code)
	}
	r, err := s.db.GetRegion(c.Request().Context(), code)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

type nomenclatureList struct {
	Items []store.NomenclatureRow `json:"items"`
}

// searchNomenclature finds SIPD nomenclature rows of the version in force
// for fiscal_year (the newest when absent): the picker for sipd_code.
func (s *Server) searchNomenclature(c echo.Context) error {
	if err := s.requireReference(c); err != nil {
		return err
	}
	q := store.NomenclatureQuery{
		Q:          c.QueryParam("q"),
		PemdaLevel: domain.PemdaLevel(c.QueryParam("pemda_level")),
		Level:      store.NomenclatureLevel(c.QueryParam("level")),
	}
	var v domain.Validation
	domain.CheckLen(&v, "q", "Kata kunci", q.Q, maxQuery)
	if err := v.Err(); err != nil {
		return err
	}
	var err error
	if q.FiscalYear, err = queryInt(c, "fiscal_year", 2000, 2100, 0); err != nil {
		return err
	}
	if q.Limit, err = queryInt(c, "limit", 1, 500, 50); err != nil {
		return err
	}
	rows, err := s.db.SearchNomenclature(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, nomenclatureList{Items: rows})
}

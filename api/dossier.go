package api

import (
	"context"
	"fmt"

	"github.com/rencana-id/rencana/internal/domain"
)

// The proposal dossier (issue 21) in the API: what the create and PATCH
// bodies add, and the checks that need the database.

// dossierFields are the dossier's fields of a create body.
type dossierFields struct {
	RAB       []domain.RABLine `json:"rab"`
	Locations []string         `json:"locations"`
	Origin    domain.Origin    `json:"origin"`
}

// dossierPatch are the dossier's fields of a PATCH body; absent stays.
type dossierPatch struct {
	RAB       *[]domain.RABLine `json:"rab"`
	Locations *[]string         `json:"locations"`
	Origin    *domain.Origin    `json:"origin"`
}

// checkLocations adds an error for each location that is not a known
// desa/kelurahan of the Kemendagri list. Their shape and their being inside
// the proposal's region are domain rules (Proposal.ValidateDraft).
func (s *Server) checkLocations(ctx context.Context, v *domain.Validation, locations []string) error {
	var desa []string
	idx := map[string]int{}
	for i, l := range locations {
		if lvl, err := domain.ParseRegionCode(l); err == nil && lvl == domain.LevelDesa {
			desa = append(desa, l)
			idx[l] = i
		}
	}
	if len(desa) == 0 {
		return nil
	}
	missing, err := s.db.RegionsExist(ctx, desa...)
	if err != nil {
		return err
	}
	for _, m := range missing {
		v.Add(fmt.Sprintf("locations[%d]", idx[m]), "Desa/kelurahan %q tidak ada dalam daftar wilayah Kemendagri.", m)
	}
	return nil
}

package workflows

import (
	"strings"

	"github.com/rencana-id/rencana/internal/domain"
)

// applyDossier is DraftPatch.Apply for the dossier's fields (issue 21).
// Empty lists are kept as empty, not nil, so the contract's arrays are
// never null.
func (d DraftPatch) applyDossier(p *domain.Proposal) {
	if d.RAB != nil {
		p.RAB = append([]domain.RABLine{}, (*d.RAB)...)
		for i := range p.RAB {
			p.RAB[i].Uraian = strings.TrimSpace(p.RAB[i].Uraian)
			p.RAB[i].Satuan = strings.TrimSpace(p.RAB[i].Satuan)
		}
	}
	if d.Locations != nil {
		p.Locations = make([]string, 0, len(*d.Locations))
		for _, l := range *d.Locations {
			p.Locations = append(p.Locations, strings.TrimSpace(l))
		}
	}
	if d.Origin != nil {
		p.Origin = *d.Origin
	}
	domain.NormalizeDossier(p)
}

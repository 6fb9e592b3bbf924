package workflows

import (
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// The rules of the stage table (domain.Transitions) as pure functions of the state, the
// request and the workflow clock. Validators call them; they never change
// anything, so a refused Update leaves no trace in history.

// checkAction decides whether req may perform action on st at now; nil means
// accepted, otherwise a *domain.Error saying why not. The rules are the
// line of domain.Transitions for the proposal's stage and action; the order
// of the checks (stage, version, actor, guards, fields) is part of what
// the handler's re-check replays.
func checkAction(st *ProposalState, action domain.Action, req ActionRequest, now time.Time) *domain.Error {
	p := st.Proposal
	t, ok := domain.FindTransition(p.Stage, action)
	if !ok {
		return domain.Errorf(domain.ECONFLICT, "Aksi %q tidak dapat dilakukan pada tahap %s.", action, p.Stage.Label())
	}
	if req.ExpectedVersion != 0 && req.ExpectedVersion != p.Version {
		return domain.Errorf(domain.EPRECONDITION, "Usulan telah berubah (versi %d, bukan %d); muat ulang lalu coba lagi.", p.Version, req.ExpectedVersion)
	}
	if req.Actor.Username == "" {
		return domain.Errorf(domain.EFORBIDDEN, "Pelaku aksi tidak dikenal.")
	}
	cal := st.Calendar
	if err := t.Refusal(domain.GuardInput{CreatedBy: p.CreatedBy, SubmittedBy: p.SubmittedBy, Actor: req.Actor, Calendar: &cal, Now: now}); err != nil {
		return err
	}
	var v domain.Validation
	if t.Comment && strings.TrimSpace(req.Comment) == "" {
		v.Add("comment", "Komentar wajib diisi untuk aksi %q.", action)
	}
	if t.Complete {
		p.ValidateComplete(&v)
	}
	for _, f := range t.Fields {
		switch f {
		case domain.FieldPriority:
			if req.Priority <= 0 {
				v.Add(f, "Prioritas harus bilangan bulat lebih dari 0.")
			}
		case domain.FieldConsolidatedAmountIDR:
			if req.ConsolidatedAmountIDR <= 0 {
				v.Add(f, "Pagu konsolidasi harus lebih dari 0 rupiah.")
			}
		case domain.FieldFundingSource:
			if !domain.ValidFundingSource(req.FundingSource) {
				v.Add(f, "Sumber dana %q tidak dikenal.", req.FundingSource)
			}
		case domain.FieldSIPDCode:
			if strings.TrimSpace(req.SIPDCode) == "" {
				v.Add(f, "Kode sub kegiatan SIPD wajib diisi.")
			}
		}
	}
	return asDomain(v.Err())
}

// checkLock decides whether the cycle's lock may move st to the ministry.
func checkLock(st *ProposalState, req ActionRequest) *domain.Error {
	p := st.Proposal
	if p.Stage != domain.StageConsolidation {
		return domain.Errorf(domain.ECONFLICT, "Hanya usulan pada tahap %s yang dapat dikunci (tahap sekarang %s).", domain.StageConsolidation.Label(), p.Stage.Label())
	}
	if !p.Consolidated {
		return domain.Errorf(domain.ECONFLICT, "Usulan belum dikonsolidasi; tetapkan prioritas, pagu dan sumber dana terlebih dahulu.")
	}
	if req.Actor.Username == "" {
		return domain.Errorf(domain.EFORBIDDEN, "Pelaku aksi tidak dikenal.")
	}
	return nil
}

// checkCreate validates the create Update.
func checkCreate(st *ProposalState, req CreateRequest) *domain.Error {
	if st.Created {
		return domain.Errorf(domain.ECONFLICT, "Usulan %q sudah dibuat.", st.Proposal.ID)
	}
	if req.Actor.Username == "" {
		return domain.Errorf(domain.EFORBIDDEN, "Pembuat usulan tidak dikenal.")
	}
	var v domain.Validation
	d := req.Draft
	if _, err := domain.ParseRegionCode(d.RegionCode); err != nil {
		v.Add("region_code", "Kode wilayah %q tidak valid.", d.RegionCode)
	} else {
		if province, _, _ := strings.Cut(st.Proposal.CycleID, "-"); province != domain.RegionProvince(d.RegionCode) {
			v.Add("region_code", "Wilayah %s tidak termasuk provinsi siklus %s.", d.RegionCode, st.Proposal.CycleID)
		}
		if req.Actor.Scope != "" && !domain.ScopeCovers(req.Actor.Scope, d.RegionCode) {
			return domain.Errorf(domain.EFORBIDDEN, "Wilayah %s di luar cakupan %s.", d.RegionCode, req.Actor.Scope)
		}
	}
	d.Patch().Apply(domain.Proposal{}).ValidateDraft(&v)
	return asDomain(v.Err())
}

// checkEdit validates the edit Update.
func checkEdit(st *ProposalState, req EditRequest) *domain.Error {
	p := st.Proposal
	if p.Stage != domain.StageDraft {
		return domain.Errorf(domain.ECONFLICT, "Hanya draf yang dapat diubah (tahap sekarang %s).", p.Stage.Label())
	}
	if req.ExpectedVersion != 0 && req.ExpectedVersion != p.Version {
		return domain.Errorf(domain.EPRECONDITION, "Usulan telah berubah (versi %d, bukan %d); muat ulang lalu coba lagi.", p.Version, req.ExpectedVersion)
	}
	if req.Actor.Username == "" {
		return domain.Errorf(domain.EFORBIDDEN, "Pengubah usulan tidak dikenal.")
	}
	var v domain.Validation
	req.Patch.Apply(p).ValidateDraft(&v)
	return asDomain(v.Err())
}

// Patch is the draft as a patch that sets every field: a create is an
// edit of an empty proposal.
func (d Draft) Patch() DraftPatch {
	ind := d.Indicators
	return DraftPatch{
		Title: &d.Title, Description: &d.Description, Category: &d.Category, AmountIDR: &d.AmountIDR,
		FundingSource: &d.FundingSource, Indicators: &ind, SIPDCode: &d.SIPDCode, Beneficiaries: &d.Beneficiaries,
		BeneficiariesKoperasi: beneficiaryKoperasiPatch(d.BeneficiariesKoperasi),
		RAB:                   &d.RAB, Locations: &d.Locations, Origin: &d.Origin,
	}
}

// beneficiaryKoperasiPatch leaves the field out of a create without
// koperasi, so a create's patch is what it was before issue 18.
func beneficiaryKoperasiPatch(ids []string) *[]string {
	if len(ids) == 0 {
		return nil
	}
	return &ids
}

// Apply returns p with the patch's non-nil fields; p is not changed. The
// API validates the result before sending the patch, the workflow again
// before saving it.
func (d DraftPatch) Apply(p domain.Proposal) domain.Proposal {
	if d.Title != nil {
		p.Title = strings.TrimSpace(*d.Title)
	}
	if d.Description != nil {
		p.Description = strings.TrimSpace(*d.Description)
	}
	if d.Category != nil {
		p.Category = *d.Category
	}
	if d.AmountIDR != nil {
		p.AmountIDR = *d.AmountIDR
	}
	if d.FundingSource != nil {
		p.FundingSource = *d.FundingSource
	}
	if d.Indicators != nil {
		p.Indicators = append([]domain.Indicator{}, (*d.Indicators)...)
	}
	if d.SIPDCode != nil {
		p.SIPDCode = strings.TrimSpace(*d.SIPDCode)
	}
	if d.Beneficiaries != nil {
		p.Beneficiaries = strings.TrimSpace(*d.Beneficiaries)
	}
	if d.BeneficiariesKoperasi != nil {
		p.BeneficiariesKoperasi = domain.CleanKoperasiIDs(*d.BeneficiariesKoperasi)
	}
	if p.Indicators == nil {
		p.Indicators = []domain.Indicator{}
	}
	d.applyDossier(&p)
	return p
}

func day(t time.Time) string { return domain.Day(t) }

func asDomain(err error) *domain.Error {
	if err == nil {
		return nil
	}
	if de, ok := err.(*domain.Error); ok {
		return de
	}
	return domain.Errorf(domain.EINTERNAL, "Terjadi kesalahan internal.")
}

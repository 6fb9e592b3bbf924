package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// The rules of DESIGN.md's stage table as pure functions of the state, the
// request and the workflow clock. Validators call them; they never change
// anything, so a refused Update leaves no trace in history.

// commentRequired lists the actions that must say why.
var commentRequired = map[domain.Action]bool{
	domain.ActionReturn: true, domain.ActionReject: true, domain.ActionDefer: true, domain.ActionDecline: true,
}

// checkAction decides whether req may perform action on st at now; nil means
// accepted, otherwise a *domain.Error saying why not.
func checkAction(st *ProposalState, action domain.Action, req ActionRequest, now time.Time) *domain.Error {
	p := st.Proposal
	if !stageAllows(p.Stage, action) {
		return domain.Errorf(domain.ECONFLICT, "Aksi %q tidak dapat dilakukan pada tahap %s.", action, p.Stage.Label())
	}
	if req.ExpectedVersion != 0 && req.ExpectedVersion != p.Version {
		return domain.Errorf(domain.EPRECONDITION, "Usulan telah berubah (versi %d, bukan %d); muat ulang lalu coba lagi.", p.Version, req.ExpectedVersion)
	}
	if req.Actor.Username == "" {
		return domain.Errorf(domain.EFORBIDDEN, "Pelaku aksi tidak dikenal.")
	}
	cal := st.Calendar
	switch action {
	case domain.ActionSubmit:
		if !now.Before(cal.SubmissionDeadline) {
			return domain.Errorf(domain.ECONFLICT, "Batas waktu pengajuan (%s) sudah lewat.", day(cal.SubmissionDeadline))
		}
	case domain.ActionWithdraw:
		if req.Actor.Username != p.CreatedBy && req.Actor.Role != domain.RolePerencanaKabKota {
			return domain.Errorf(domain.EFORBIDDEN, "Hanya pembuat usulan atau perencana kab/kota yang dapat menarik usulan.")
		}
	case domain.ActionApprove:
		if req.Actor.Username == p.CreatedBy || req.Actor.Username == p.SubmittedBy {
			return domain.Errorf(domain.EFORBIDDEN, "Pembuat atau pengaju usulan tidak boleh menyetujuinya sendiri (pemisahan tugas).")
		}
	case domain.ActionAccept, domain.ActionDefer:
		if err := rakordaOpen(cal, now); err != nil {
			return err
		}
	case domain.ActionReturn:
		if req.Actor.Username == p.CreatedBy {
			return domain.Errorf(domain.EFORBIDDEN, "Pembuat usulan tidak boleh mereviu usulannya sendiri (pemisahan tugas).")
		}
	case domain.ActionReject:
		if p.Stage == domain.StageKabKotaReview && req.Actor.Username == p.CreatedBy {
			return domain.Errorf(domain.EFORBIDDEN, "Pembuat usulan tidak boleh mereviu usulannya sendiri (pemisahan tugas).")
		}
		if p.Stage == domain.StageRakorda {
			if err := rakordaOpen(cal, now); err != nil {
				return err
			}
		}
	}
	var v domain.Validation
	if commentRequired[action] && strings.TrimSpace(req.Comment) == "" {
		v.Add("comment", "Komentar wajib diisi untuk aksi %q.", action)
	}
	switch action {
	case domain.ActionSubmit:
		checkComplete(&v, p)
	case domain.ActionConsolidate:
		if req.Priority <= 0 {
			v.Add("priority", "Prioritas harus bilangan bulat lebih dari 0.")
		}
		if req.ConsolidatedAmountIDR <= 0 {
			v.Add("consolidated_amount_idr", "Pagu konsolidasi harus lebih dari 0 rupiah.")
		}
		if !domain.ValidFundingSource(req.FundingSource) {
			v.Add("funding_source", "Sumber dana %q tidak dikenal.", req.FundingSource)
		}
	case domain.ActionFund:
		if !domain.ValidFundingSource(req.FundingSource) {
			v.Add("funding_source", "Sumber dana %q tidak dikenal.", req.FundingSource)
		}
	case domain.ActionMap:
		if strings.TrimSpace(req.SIPDCode) == "" {
			v.Add("sipd_code", "Kode sub kegiatan SIPD wajib diisi.")
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
	checkDraft(&v, applyPatch(domain.Proposal{}, draftPatch(d)))
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
	checkDraft(&v, applyPatch(p, req.Patch))
	return asDomain(v.Err())
}

// checkDraft checks what a draft may not contain even while incomplete.
func checkDraft(v *domain.Validation, p domain.Proposal) {
	if strings.TrimSpace(p.Title) == "" {
		v.Add("title", "Judul wajib diisi.")
	}
	if p.Category != "" && !domain.ValidCategory(p.Category) {
		v.Add("category", "Kategori %q tidak dikenal.", p.Category)
	}
	if p.FundingSource != "" && !domain.ValidFundingSource(p.FundingSource) {
		v.Add("funding_source", "Sumber dana %q tidak dikenal.", p.FundingSource)
	}
	if p.AmountIDR < 0 {
		v.Add("amount_idr", "Pagu usulan tidak boleh negatif.")
	}
	for i, ind := range p.Indicators {
		if strings.TrimSpace(ind.Name) == "" {
			v.Add(fmt.Sprintf("indicators[%d].name", i), "Nama indikator wajib diisi.")
		}
		if ind.Target < 0 {
			v.Add(fmt.Sprintf("indicators[%d].target", i), "Target tidak boleh negatif.")
		}
	}
}

// checkComplete is what submit needs on top of checkDraft: every field a
// reviewer reads.
func checkComplete(v *domain.Validation, p domain.Proposal) {
	checkDraft(v, p)
	if strings.TrimSpace(p.Description) == "" {
		v.Add("description", "Uraian wajib diisi sebelum diajukan.")
	}
	if p.Category == "" {
		v.Add("category", "Kategori wajib diisi sebelum diajukan.")
	}
	if p.AmountIDR <= 0 {
		v.Add("amount_idr", "Pagu usulan harus lebih dari 0 rupiah sebelum diajukan.")
	}
	if p.FundingSource == "" {
		v.Add("funding_source", "Sumber dana wajib diisi sebelum diajukan.")
	}
	if len(p.Indicators) == 0 {
		v.Add("indicators", "Minimal satu indikator wajib diisi sebelum diajukan.")
	}
	for i, ind := range p.Indicators {
		if ind.Target <= 0 {
			v.Add(fmt.Sprintf("indicators[%d].target", i), "Target harus lebih dari 0.")
		}
		if strings.TrimSpace(ind.Unit) == "" {
			v.Add(fmt.Sprintf("indicators[%d].unit", i), "Satuan wajib diisi.")
		}
	}
}

func rakordaOpen(c domain.Calendar, now time.Time) *domain.Error {
	if now.Before(c.RakordaStart) {
		return domain.Errorf(domain.ECONFLICT, "Rakorda belum dibuka (mulai %s).", day(c.RakordaStart))
	}
	if now.After(c.RakordaEnd) {
		return domain.Errorf(domain.ECONFLICT, "Rakorda sudah ditutup (berakhir %s).", day(c.RakordaEnd))
	}
	return nil
}

func stageAllows(s domain.Stage, a domain.Action) bool {
	for _, x := range StageActions(s) {
		if x == a {
			return true
		}
	}
	return false
}

// nextStage is where action moves a proposal from stage from.
func nextStage(from domain.Stage, a domain.Action) domain.Stage {
	switch a {
	case domain.ActionSubmit:
		return domain.StageKabKotaReview
	case domain.ActionWithdraw:
		return domain.StageWithdrawn
	case domain.ActionApprove:
		return domain.StageRakorda
	case domain.ActionReturn:
		return domain.StageDraft
	case domain.ActionReject:
		return domain.StageRejected
	case domain.ActionAccept:
		return domain.StageConsolidation
	case domain.ActionDefer:
		return domain.StageDeferred
	case domain.ActionFund:
		return domain.StageSIPDMapping
	case domain.ActionDecline:
		return domain.StageDeclined
	case domain.ActionMap:
		return domain.StageFinal
	}
	return from // consolidate stays
}

func draftPatch(d Draft) DraftPatch {
	ind := d.Indicators
	return DraftPatch{
		Title: &d.Title, Description: &d.Description, Category: &d.Category, AmountIDR: &d.AmountIDR,
		FundingSource: &d.FundingSource, Indicators: &ind, SIPDCode: &d.SIPDCode, Beneficiaries: &d.Beneficiaries,
	}
}

// applyPatch returns p with the patch's non-nil fields; p is not changed.
func applyPatch(p domain.Proposal, d DraftPatch) domain.Proposal {
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
	if p.Indicators == nil {
		p.Indicators = []domain.Indicator{}
	}
	return p
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func asDomain(err error) *domain.Error {
	if err == nil {
		return nil
	}
	if de, ok := err.(*domain.Error); ok {
		return de
	}
	return domain.Errorf(domain.EINTERNAL, "Terjadi kesalahan internal.")
}

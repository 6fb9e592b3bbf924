package domain

// Stage is where a proposal stands in the planning cycle.
type Stage string

// The stages of docs/ARCHITECTURE.md, in the order a proposal normally passes them.
const (
	StageDraft         Stage = "draft"
	StageKabKotaReview Stage = "kabkota_review"
	StageRakorda       Stage = "rakorda"
	StageConsolidation Stage = "consolidation"
	StageMinistry      Stage = "ministry"
	StageSIPDMapping   Stage = "sipd_mapping"
	StageFinal         Stage = "final"
	StageRejected      Stage = "rejected"
	StageDeferred      Stage = "deferred"
	StageDeclined      Stage = "declined"
	StageWithdrawn     Stage = "withdrawn"
	StageExpired       Stage = "expired"
)

// Stages lists every stage, open ones first.
var Stages = []Stage{
	StageDraft, StageKabKotaReview, StageRakorda, StageConsolidation, StageMinistry,
	StageSIPDMapping, StageFinal, StageRejected, StageDeferred, StageDeclined,
	StageWithdrawn, StageExpired,
}

// Terminal reports whether no action can move a proposal out of s.
func (s Stage) Terminal() bool {
	switch s {
	case StageFinal, StageRejected, StageDeferred, StageDeclined, StageWithdrawn, StageExpired:
		return true
	}
	return false
}

// Label is the stage's name as users read it.
func (s Stage) Label() string {
	switch s {
	case StageDraft:
		return "Draf"
	case StageKabKotaReview:
		return "Reviu Kab/Kota"
	case StageRakorda:
		return "Rakorda"
	case StageConsolidation:
		return "Konsolidasi Provinsi"
	case StageMinistry:
		return "Kementerian"
	case StageSIPDMapping:
		return "Pemetaan SIPD"
	case StageFinal:
		return "Final"
	case StageRejected:
		return "Ditolak"
	case StageDeferred:
		return "Ditunda"
	case StageDeclined:
		return "Tidak Didanai"
	case StageWithdrawn:
		return "Ditarik"
	case StageExpired:
		return "Kedaluwarsa"
	}
	return string(s)
}

// Action is a human decision that moves a proposal; each one is a workflow
// Update of the same name.
type Action string

// The actions of the stage table (domain.Transitions). Lock is a cycle action and moves
// consolidated proposals to the ministry stage.
const (
	ActionSubmit      Action = "submit"
	ActionWithdraw    Action = "withdraw"
	ActionApprove     Action = "approve"
	ActionReturn      Action = "return"
	ActionReject      Action = "reject"
	ActionAccept      Action = "accept"
	ActionDefer       Action = "defer"
	ActionConsolidate Action = "consolidate"
	ActionFund        Action = "fund"
	ActionDecline     Action = "decline"
	ActionMap         Action = "map"
)

// Actions lists every proposal action.
var Actions = []Action{
	ActionSubmit, ActionWithdraw, ActionApprove, ActionReturn, ActionReject, ActionAccept,
	ActionDefer, ActionConsolidate, ActionFund, ActionDecline, ActionMap,
}

// Category is the kind of programme a proposal funds.
type Category string

// Categories accepted by the API.
var Categories = []Category{
	"pelatihan", "bazar", "sarana_prasarana", "plut", "rumah_produksi",
	"pendampingan", "permodalan", "bansos", "pendataan", "lainnya",
}

// FundingSource is who pays.
type FundingSource string

// FundingSources accepted by the API.
var FundingSources = []FundingSource{
	"apbd_kabkota", "apbd_provinsi", "apbn_dekonsentrasi", "dak", "dana_desa", "lainnya",
}

// ValidCategory reports whether c is one of Categories.
func ValidCategory(c Category) bool {
	for _, x := range Categories {
		if x == c {
			return true
		}
	}
	return false
}

// ValidFundingSource reports whether f is one of FundingSources.
func ValidFundingSource(f FundingSource) bool {
	for _, x := range FundingSources {
		if x == f {
			return true
		}
	}
	return false
}

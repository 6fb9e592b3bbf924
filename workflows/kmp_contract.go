package workflows

import (
	"strings"
	"time"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/domain"
)

// Koperasi Merah Putih (issue 19): one KMPWorkflow per desa/kelurahan (ID
// kmp/<code>) carries its formation through the milestones of
// domain.KMPSteps. A milestone is an Update validated against that table
// (order, role, fields) and projected by a local activity before it
// answers. Between milestones the workflow sleeps on one timer: the
// reminder before the next milestone's deadline, the escalation to the
// camat when it passes, then to the task force. Its history stays around a
// hundred events, so it never needs continue-as-new. KMPStartWorkflow (ID
// kmp-start/<job>) starts them in bulk, page by page.

// KMPWorkflowName is the registered type name of KMPWorkflow.
const KMPWorkflowName = "KMPWorkflow"

// KMPStartWorkflowName is the registered type name of KMPStartWorkflow.
const KMPStartWorkflowName = "KMPStartWorkflow"

// KMPWorkflowID is the workflow ID of a desa/kelurahan's KMP.
func KMPWorkflowID(regionCode string) string { return "kmp/" + regionCode }

// KMPStartWorkflowID is the workflow ID of a bulk start job.
func KMPStartWorkflowID(jobID string) string { return "kmp-start/" + jobID }

// Update and query names of KMPWorkflow.
const (
	// UpdateKMPMilestone records a milestone; its argument is a
	// KMPMilestoneRequest, its answer the KMP.
	UpdateKMPMilestone = "milestone"
	// QueryKMP returns the live KMP.
	QueryKMP = "kmp"
)

// Event actions of a KMP's trail besides the milestones.
const (
	KMPEventReminder = "reminder" // the next milestone's deadline is near
	KMPEventLate     = "late"     // it passed: escalated to the camat
	KMPEventEscalate = "escalate" // it passed long ago: escalated to the task force
)

// Notification kinds of KMP.
const (
	NoticeKMPReminder = "kmp_reminder" // to the desa's operator_desa
	NoticeKMPLate     = "kmp_late"     // to the kecamatan's camat
	NoticeKMPEscalate = "kmp_escalate" // to the kab/kota's satgas_kmp
)

// Escalation levels, stored in the projection (store.KMP.Escalation): who
// has been told that the next milestone is late.
const (
	EscalatedCamat  = string(domain.RoleCamat)
	EscalatedSatgas = string(domain.RoleSatgasKMP)
)

// KMPReminderBefore is how long before a milestone's deadline the desa's
// operator is reminded.
const KMPReminderBefore = 7 * 24 * time.Hour

// KMPEscalateAfter is how long after a missed deadline, told to the camat,
// the task force of the kab/kota is told too.
const KMPEscalateAfter = 14 * 24 * time.Hour

// KMP is the projection's representation of a KMP.
type KMP = activities.KMP

// KMPInput starts a KMPWorkflow.
type KMPInput = activities.KMPStart

// KMPMilestoneRequest is the argument of the milestone Update. Actor is
// who records it (the API has checked with Casbin that they may within the
// desa); Imported marks a row of the bulk import.
type KMPMilestoneRequest struct {
	Actor     domain.Actor        `json:"actor"`
	Milestone domain.KMPMilestone `json:"milestone"`
	Fields    domain.KMPFields    `json:"fields"`
	Imported  bool                `json:"imported,omitempty"`
}

// KMPStartInput starts a KMPStartWorkflow: the job as the API saved it.
type KMPStartInput struct {
	Job activities.KMPStartJob `json:"job"`
	// Page is how many desa each batch handles; 0 means
	// activities.KMPStartPage.
	Page int `json:"page,omitempty"`
}

// CheckKMPMilestone judges a milestone request against k at now: the
// milestone must be the next one, the role one that records it, the fields
// those of domain.KMPSteps, the date not before the previous milestone's
// nor in the future. The workflow's validator calls it; the import calls it
// for its preview so that a file is judged by the same rule.
func CheckKMPMilestone(k KMP, req KMPMilestoneRequest, now time.Time) *domain.Error {
	step, ok := req.Milestone.Step()
	if !ok {
		return domain.Errorf(domain.EINVALID, "Tahap %q tidak dikenal.", req.Milestone)
	}
	if !step.MayRecord(req.Actor.Role, req.Imported) {
		return domain.Errorf(domain.EFORBIDDEN, "Tahap %s dicatat oleh operator desa/kelurahan atau camat.", step.Label)
	}
	if k.Reached >= step.Order {
		return domain.Errorf(domain.ECONFLICT, "Tahap %s sudah dicatat.", step.Label)
	}
	if k.Reached+1 != step.Order {
		return domain.Errorf(domain.ECONFLICT, "Tahap %s belum dapat dicatat: tahap %s belum dicatat.", step.Label, k.Next().Label())
	}
	if de := asDomain(req.Fields.Validate(req.Milestone)); de != nil {
		return de
	}
	day := req.Fields.Day()
	if day.After(now.Add(24 * time.Hour)) {
		return &domain.Error{Code: domain.EINVALID, Message: "Data yang dikirim tidak valid.",
			Fields: []domain.FieldError{{Field: "fields.date", Message: "Tanggal tidak boleh di masa depan."}}}
	}
	if n := len(k.Records); n > 0 && day.Before(k.Records[n-1].Fields.Day()) {
		return &domain.Error{Code: domain.EINVALID, Message: "Data yang dikirim tidak valid.",
			Fields: []domain.FieldError{{Field: "fields.date", Message: "Tanggal tidak boleh sebelum tanggal tahap " + k.Records[n-1].Milestone.Label() + " (" + k.Records[n-1].Fields.Date + ")."}}}
	}
	return nil
}

// KMPRegistrationOf is what the register receives when k obtained its
// badan hukum with fields f.
func KMPRegistrationOf(k KMP, f domain.KMPFields) domain.KMPRegistration {
	jenis := f.Jenis
	if jenis == "" {
		jenis = domain.DefaultKMPJenis
	}
	return domain.KMPRegistration{RegionCode: k.RegionCode, Name: domain.KMPName(k.RegionCode, k.Name),
		BadanHukumNo: strings.TrimSpace(f.SKNumber), BadanHukumDate: f.Day(), Jenis: jenis}
}

package web

import (
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// The API's JSON shapes as the pages read them (api/openapi.yaml).

type grantView struct {
	Role       domain.Role `json:"role"`
	Scope      string      `json:"scope"`
	ValidFrom  *time.Time  `json:"valid_from"`
	ValidUntil *time.Time  `json:"valid_until"`
	Actions    []string    `json:"actions"`
}

type userView struct {
	Username string      `json:"username"`
	FullName string      `json:"full_name"`
	Roles    []grantView `json:"roles"`
	// TwoFactor and TwoFactorRequired: the account's second factor, and
	// whether the deployment demands it of the account's role.
	TwoFactor         bool `json:"two_factor"`
	TwoFactorRequired bool `json:"two_factor_required"`
}

// has reports whether the user holds role (any scope).
func (u userView) has(roles ...domain.Role) bool {
	for _, g := range u.Roles {
		for _, r := range roles {
			if g.Role == r {
				return true
			}
		}
	}
	return false
}

// IsAdmin is used by the layout to show the admin menu.
func (u userView) IsAdmin() bool { return u.has(domain.RoleAdmin) }

// CanCreate is used by the layout to show "Usulan baru".
func (u userView) CanCreate() bool {
	return u.has(domain.RolePerencanaKecamatan, domain.RolePerencanaKabKota, domain.RolePerencanaProvinsi)
}

// CanExport is used by the layout to show "Ekspor".
func (u userView) CanExport() bool {
	return u.has(domain.RolePenghubungKementrian, domain.RolePerencanaProvinsi, domain.RoleKadisProvinsi, domain.RoleAdmin)
}

// zone is where the user's office is: the zone of their first scope.
func (u userView) zone() *time.Location {
	if len(u.Roles) == 0 {
		return domain.WIB
	}
	return domain.ZoneOf(u.Roles[0].Scope)
}

type indicatorView struct {
	Name   string  `json:"name"`
	Target float64 `json:"target"`
	Unit   string  `json:"unit"`
	Type   string  `json:"type"`
}

type proposalView struct {
	ID          string `json:"id"`
	CycleID     string `json:"cycle_id"`
	RegionCode  string `json:"region_code"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Issue 18.
	BeneficiariesKoperasi []string             `json:"beneficiaries_koperasi"`
	Category              domain.Category      `json:"category"`
	AmountIDR             int64                `json:"amount_idr"`
	FundingSource         domain.FundingSource `json:"funding_source"`
	Indicators            []indicatorView      `json:"indicators"`
	SIPDCode              string               `json:"sipd_code"`
	Beneficiaries         string               `json:"beneficiaries"`
	Stage                 domain.Stage         `json:"stage"`
	Priority              int                  `json:"priority"`
	Consolidated          bool                 `json:"consolidated"`
	ConsolidatedAmountIDR int64                `json:"consolidated_amount_idr"`
	CreatedBy             string               `json:"created_by"`
	SubmittedBy           string               `json:"submitted_by"`
	DueAt                 *time.Time           `json:"due_at"`
	Overdue               bool                 `json:"overdue"`
	Version               int64                `json:"version"`
	AllowedActions        []domain.Action      `json:"allowed_actions"`
	CreatedAt             time.Time            `json:"created_at"`
	UpdatedAt             time.Time            `json:"updated_at"`
	dossierView
}

type proposalPage struct {
	Items      []proposalView `json:"items"`
	NextCursor string         `json:"next_cursor"`
}

type taskView struct {
	ProposalID string          `json:"proposal_id"`
	Title      string          `json:"title"`
	RegionCode string          `json:"region_code"`
	Stage      domain.Stage    `json:"stage"`
	Actions    []domain.Action `json:"actions"`
	DueAt      *time.Time      `json:"due_at"`
	Overdue    bool            `json:"overdue"`
}

type taskPage struct {
	Items      []taskView `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

type eventView struct {
	Seq       int64        `json:"seq"`
	Action    string       `json:"action"`
	FromStage domain.Stage `json:"from_stage"`
	ToStage   domain.Stage `json:"to_stage"`
	Actor     domain.Actor `json:"actor"`
	Comment   string       `json:"comment"`
	At        time.Time    `json:"at"`
}

type cycleView struct {
	ID           string          `json:"id"`
	ProvinceCode string          `json:"province_code"`
	FiscalYear   int             `json:"fiscal_year"`
	Calendar     domain.Calendar `json:"calendar"`
	Locked       bool            `json:"locked"`
}

type regionView struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Level      int    `json:"level"`
	ParentCode string `json:"parent_code"`
}

type nomenclatureView struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Level string `json:"level"`
}

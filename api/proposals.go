package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// proposalView is a proposal as the API contract (api/openapi.yaml) shows it: the projection
// plus what the caller may do with it now.
type proposalView struct {
	domain.Proposal
	AllowedActions []domain.Action `json:"allowed_actions"`
}

type createRequest struct {
	CycleID       string               `json:"cycle_id"`
	RegionCode    string               `json:"region_code"`
	Title         string               `json:"title"`
	Description   string               `json:"description" text:"multiline"`
	Category      domain.Category      `json:"category"`
	AmountIDR     int64                `json:"amount_idr"`
	FundingSource domain.FundingSource `json:"funding_source"`
	Indicators    []domain.Indicator   `json:"indicators"`
	SIPDCode      string               `json:"sipd_code"`
	Beneficiaries string               `json:"beneficiaries" text:"multiline"`
	// Issue 18.
	BeneficiariesKoperasi []string `json:"beneficiaries_koperasi"`
	dossierFields
}

func (r createRequest) draft() workflows.Draft {
	ind := r.Indicators
	if ind == nil {
		ind = []domain.Indicator{}
	}
	return workflows.Draft{
		RegionCode: strings.TrimSpace(r.RegionCode), Title: strings.TrimSpace(r.Title),
		Description: strings.TrimSpace(r.Description), Category: r.Category, AmountIDR: r.AmountIDR,
		FundingSource: r.FundingSource, Indicators: ind, SIPDCode: strings.TrimSpace(r.SIPDCode),
		Beneficiaries:         strings.TrimSpace(r.Beneficiaries),
		BeneficiariesKoperasi: r.BeneficiariesKoperasi,
		RAB:                   r.RAB, Locations: r.Locations, Origin: r.Origin,
	}
}

// patchRequest is a PATCH of a draft: absent (or null) fields stay as they
// are. region_code and cycle_id are decoded only to refuse them with a
// message that says why.
type patchRequest struct {
	Title         *string               `json:"title"`
	Description   *string               `json:"description" text:"multiline"`
	Category      *domain.Category      `json:"category"`
	AmountIDR     *int64                `json:"amount_idr"`
	FundingSource *domain.FundingSource `json:"funding_source"`
	Indicators    *[]domain.Indicator   `json:"indicators"`
	SIPDCode      *string               `json:"sipd_code"`
	Beneficiaries *string               `json:"beneficiaries" text:"multiline"`
	// Issue 18.
	BeneficiariesKoperasi *[]string       `json:"beneficiaries_koperasi"`
	RegionCode            json.RawMessage `json:"region_code"`
	CycleID               json.RawMessage `json:"cycle_id"`
	dossierPatch
}

func (r patchRequest) patch() workflows.DraftPatch {
	return workflows.DraftPatch{
		Title: r.Title, Description: r.Description, Category: r.Category, AmountIDR: r.AmountIDR,
		FundingSource: r.FundingSource, Indicators: r.Indicators, SIPDCode: r.SIPDCode, Beneficiaries: r.Beneficiaries,
		BeneficiariesKoperasi: r.BeneficiariesKoperasi,
		RAB:                   r.RAB, Locations: r.Locations, Origin: r.Origin,
	}
}

// proposalID names a new proposal. Without an Idempotency-Key it is random;
// with one it is derived from (user, key), so a retried POST lands on the
// same workflow (Temporal deduplicates the create) or finds the proposal
// already saved, and nothing needs to be stored to remember the key.
func proposalID(username, key string) string { return "usl-" + keyedID("proposal", username, key, 10) }

// keyedID is the idempotent-create naming every POST shares: with an
// Idempotency-Key, n bytes of a hash of (what, user, key), so a retry of
// the same request names the same record or Update; without one, n random
// bytes. Lower-case base32.
func keyedID(what, username, key string, n int) string {
	b := make([]byte, n)
	if key == "" {
		_, _ = rand.Read(b)
	} else {
		sum := sha256.Sum256([]byte("rencana/" + what + "\x00" + username + "\x00" + key))
		copy(b, sum[:])
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// bindCreate is the first step of every idempotent create: bind the body
// into req, then read the Idempotency-Key (keyedID turns it into the id).
func bindCreate(c echo.Context, req any) (key string, err error) {
	if err := bind(c, req); err != nil {
		return "", err
	}
	return idempotencyKey(c)
}

func idempotencyKey(c echo.Context) (string, error) {
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		return "", nil
	}
	ok := len(key) <= maxIdempotencyKey
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] > ' ' && key[i] < 0x7f
	}
	if !ok {
		return "", invalidField("Idempotency-Key", "Idempotency-Key berisi 1-%d karakter ASCII tanpa spasi, misalnya sebuah UUID.", maxIdempotencyKey)
	}
	return key, nil
}

// createProposal saves a new draft: the input is validated here (cycle,
// region in the cycle's province, bounds, SIPD code), Casbin decides whether
// the caller may create in that region, and the workflow is started and
// its draft saved in one Update-with-Start.
func (s *Server) createProposal(c echo.Context) error {
	var req createRequest
	key, err := bindCreate(c, &req)
	if err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	id := proposalID(user, key)
	if key != "" {
		// A retry of a create that went through answers as the first did.
		if p, err := s.db.GetProposal(ctx, id); err == nil {
			return s.respondProposal(c, http.StatusCreated, p, nil)
		} else if domain.ErrorCode(err) != domain.ENOTFOUND {
			return err
		}
	}

	draft := req.draft()
	var v domain.Validation
	var cycle *domain.Cycle
	cycleID := strings.TrimSpace(req.CycleID)
	switch {
	case cycleID == "":
		v.Add("cycle_id", "Siklus wajib diisi, misalnya 74-2027; lihat GET /api/v1/cycles.")
	case len(cycleID) > maxCycleID:
		v.Add("cycle_id", "Id siklus paling panjang %d karakter, misalnya 74-2027; lihat GET /api/v1/cycles.", maxCycleID)
	default:
		cy, err := s.db.GetCycle(ctx, cycleID)
		switch {
		case domain.ErrorCode(err) == domain.ENOTFOUND:
			v.Add("cycle_id", "Siklus %q tidak ditemukan; lihat GET /api/v1/cycles.", cycleID)
		case err != nil:
			return err
		default:
			cycle = &cy
		}
	}
	draft.Patch().Apply(domain.Proposal{RegionCode: draft.RegionCode}).ValidateDraft(&v)
	regionOK, err := s.checkRegion(ctx, &v, draft.RegionCode, cycle)
	if err != nil {
		return err
	}
	if err := s.checkLocations(ctx, &v, draft.Locations); err != nil {
		return err
	}
	if cycle != nil && regionOK {
		if err := s.checkSIPDCode(ctx, &v, draft.SIPDCode, draft.RegionCode, cycle.FiscalYear, false); err != nil {
			return err
		}
		if err := s.checkBeneficiaryKoperasi(ctx, &v, draft.RegionCode, draft.BeneficiariesKoperasi); err != nil {
			return err
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if cycle.Locked {
		return domain.Errorf(domain.ECONFLICT, "Siklus %s sudah dikunci; usulan baru tidak dapat dibuat.", cycle.ID)
	}
	if !now.Before(cycle.Calendar.SubmissionDeadline) {
		return domain.Errorf(domain.ECONFLICT, "Batas waktu pengajuan siklus %s (%s) sudah lewat; usulan baru tidak dapat dibuat.",
			cycle.ID, day(cycle.Calendar.SubmissionDeadline))
	}
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjProposal, Action: policies.ActCreate, Region: draft.RegionCode, At: now})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang membuat usulan untuk wilayah %s.", draft.RegionCode)
	}
	if draft.Number, err = s.db.NextProposalNumber(ctx, draft.RegionCode, cycle.FiscalYear); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, s.wfWait)
	defer cancel()
	p, err := workflows.Create(wctx, s.temporal,
		workflows.ProposalInput{ProposalID: id, CycleID: cycle.ID, Calendar: cycle.Calendar},
		workflows.CreateRequest{Actor: domain.Actor{Username: user, Role: d.Role, Scope: d.Scope}, Draft: draft})
	if err != nil {
		return s.workflowFailure(c, err)
	}
	return s.respondProposal(c, http.StatusCreated, p, cycle)
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// visibleProposal reads a proposal the caller may see; one outside their
// scopes is 404, exactly like one that does not exist.
func (s *Server) visibleProposal(c echo.Context, id string) (domain.Proposal, error) {
	ctx := c.Request().Context()
	scopes, err := s.authz.VisibleScopes(ctx, currentUser(c), s.now())
	if err != nil {
		return domain.Proposal{}, err
	}
	return s.db.GetProposalWithin(ctx, id, scopes)
}

func (s *Server) getProposal(c echo.Context) error {
	p, err := s.visibleProposal(c, c.Param("id"))
	if err != nil {
		return err
	}
	return s.respondProposal(c, http.StatusOK, p, nil)
}

// respondProposal answers with the proposal's view and its version as ETag
// (the If-Match of the next edit or action). cycle may be nil.
func (s *Server) respondProposal(c echo.Context, status int, p domain.Proposal, cycle *domain.Cycle) error {
	ctx := c.Request().Context()
	if cycle == nil {
		cy, err := s.db.GetCycle(ctx, p.CycleID)
		if err != nil {
			return err
		}
		cycle = &cy
	}
	view, err := s.view(ctx, currentUser(c), p, cycle, s.now())
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", etag(p.Version))
	if status == http.StatusCreated {
		h.Set(echo.HeaderLocation, "/api/v1/proposals/"+p.ID)
	}
	return c.JSON(status, view)
}

func (s *Server) view(ctx context.Context, user string, p domain.Proposal, cycle *domain.Cycle, now time.Time) (proposalView, error) {
	actions, err := s.allowedActions(ctx, user, p, cycle, now)
	if err != nil {
		return proposalView{}, err
	}
	p.Overdue = overdue(p, now)
	if p.BeneficiariesKoperasi == nil {
		p.BeneficiariesKoperasi = []string{}
	}
	domain.NormalizeDossier(&p)
	return proposalView{Proposal: p, AllowedActions: actions}, nil
}

// overdue: escalated by the workflow, or past its due date in an open stage.
func overdue(p domain.Proposal, now time.Time) bool {
	if p.Stage.Terminal() {
		return false
	}
	return p.Overdue || (p.DueAt != nil && now.After(*p.DueAt))
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ifMatch reads the version an edit or action expects. required makes a
// missing header 428; "*" means any version (0).
func ifMatch(c echo.Context, required bool) (int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" {
		if required {
			return 0, echo.NewHTTPError(http.StatusPreconditionRequired,
				"Sertakan header If-Match berisi ETag usulan yang Anda ubah (dari GET /api/v1/proposals/{id}), agar perubahan orang lain tidak tertimpa.")
		}
		return 0, nil
	}
	if h == "*" {
		return 0, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil || v <= 0 {
		return 0, domain.Errorf(domain.EPRECONDITION, "If-Match %q bukan ETag usulan; gunakan ETag dari GET /api/v1/proposals/{id}.", h)
	}
	return v, nil
}

// editProposal changes a draft (PATCH with If-Match).
func (s *Server) editProposal(c echo.Context) error {
	p, err := s.visibleProposal(c, c.Param("id"))
	if err != nil {
		return err
	}
	version, err := ifMatch(c, true)
	if err != nil {
		return err
	}
	var req patchRequest
	if err := bind(c, &req); err != nil {
		return err
	}
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	var v domain.Validation
	if req.RegionCode != nil {
		v.Add("region_code", "Wilayah usulan tidak dapat diubah; tarik usulan ini dan buat usulan baru untuk wilayah lain.")
	}
	if req.CycleID != nil {
		v.Add("cycle_id", "Siklus usulan tidak dapat diubah; buat usulan baru pada siklus lain.")
	}
	patch := req.patch()
	if patch == (workflows.DraftPatch{}) && req.RegionCode == nil && req.CycleID == nil {
		v.Add("body", "Sertakan minimal satu kolom yang diubah, misalnya title atau amount_idr.")
	}
	patch.Apply(p).ValidateDraft(&v)
	cycle, err := s.db.GetCycle(ctx, p.CycleID)
	if err != nil {
		return err
	}
	if patch.BeneficiariesKoperasi != nil {
		if err := s.checkBeneficiaryKoperasi(ctx, &v, p.RegionCode, *patch.BeneficiariesKoperasi); err != nil {
			return err
		}
	}
	if patch.SIPDCode != nil {
		if err := s.checkSIPDCode(ctx, &v, *patch.SIPDCode, p.RegionCode, cycle.FiscalYear, false); err != nil {
			return err
		}
	}
	if patch.Locations != nil {
		if err := s.checkLocations(ctx, &v, *patch.Locations); err != nil {
			return err
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	d, err := s.authz.Decide(ctx, policies.Request{Username: user, Object: policies.ObjProposal, Action: policies.ActEdit, Region: p.RegionCode, At: now})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return domain.Errorf(domain.EFORBIDDEN, "Anda tidak berwenang mengubah usulan wilayah %s.", p.RegionCode)
	}
	wctx, cancel := context.WithTimeout(ctx, s.wfWait)
	defer cancel()
	out, err := workflows.Edit(wctx, s.temporal, p.ID, workflows.EditRequest{
		Actor: domain.Actor{Username: user, Role: d.Role, Scope: d.Scope}, ExpectedVersion: version, Patch: patch,
	})
	if err != nil {
		return s.workflowFailure(c, err)
	}
	return s.respondProposal(c, http.StatusOK, out, &cycle)
}

type listCursor struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

type proposalList struct {
	Items      []proposalView `json:"items"`
	NextCursor *string        `json:"next_cursor"`
}

// listProposals pages through what the caller may see, newest first. The
// visibility filter is part of the SQL, so a page is never short because
// rows were hidden after reading them.
func (s *Server) listProposals(c echo.Context) error {
	ctx, user, now := c.Request().Context(), currentUser(c), s.now()
	q, err := s.proposalQuery(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 1, store.MaxPageSize, 50)
	if err != nil {
		return err
	}
	q.Limit = limit
	var cur listCursor
	if ok, err := decodeCursor(c, &cur); err != nil {
		return err
	} else if ok {
		q.After = &store.ProposalCursor{CreatedAt: cur.CreatedAt, ID: cur.ID}
	}
	items, next, err := s.db.ListProposals(ctx, q)
	if err != nil {
		return err
	}
	cycles, err := s.cycleMap(ctx)
	if err != nil {
		return err
	}
	out := proposalList{Items: make([]proposalView, 0, len(items))}
	for _, p := range items {
		view, err := s.view(ctx, user, p, cycles[p.CycleID], now)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, view)
	}
	if next != nil {
		s := encodeCursor(listCursor{CreatedAt: next.CreatedAt, ID: next.ID})
		out.NextCursor = &s
	}
	return c.JSON(http.StatusOK, out)
}

// proposalQuery reads the filters a list and a summary share (cycle_id,
// stage, region, q) and scopes them to what the caller may see.
func (s *Server) proposalQuery(c echo.Context) (store.ProposalQuery, error) {
	q := store.ProposalQuery{
		CycleID: strings.TrimSpace(c.QueryParam("cycle_id")),
		Stage:   domain.Stage(c.QueryParam("stage")),
		Region:  strings.TrimSpace(c.QueryParam("region")),
		Q:       c.QueryParam("q"),
	}
	var v domain.Validation
	if q.Stage != "" && !validStage(q.Stage) {
		v.Add("stage", "Tahap %q tidak dikenal; pilih salah satu: %s.", q.Stage, stageList())
	}
	if q.Region != "" {
		if _, err := domain.ParseRegionCode(q.Region); err != nil {
			v.Add("region", "Kode wilayah %q tidak berbentuk 74, 74.05 atau 74.05.03.", q.Region)
		}
	}
	domain.CheckLen(&v, "q", "Kata kunci", q.Q, maxQuery)
	domain.CheckLen(&v, "cycle_id", "Siklus", q.CycleID, maxCycleID)
	if err := v.Err(); err != nil {
		return q, err
	}
	var err error
	q.Scopes, err = s.authz.VisibleScopes(c.Request().Context(), currentUser(c), s.now())
	return q, err
}

// summaryGroup is one stage's or one kab/kota's share of a summary.
type summaryGroup struct {
	Key       string `json:"key"`
	Count     int64  `json:"count"`
	AmountIDR int64  `json:"amount_idr"`
}

type proposalSummary struct {
	Count     int64          `json:"count"`
	AmountIDR int64          `json:"amount_idr"`
	Stages    []summaryGroup `json:"stages"`
	KabKota   []summaryGroup `json:"kabkota"`
}

// summarizeProposals counts what listProposals would page through, with
// the same filters and the same visibility, in the database: a cycle's
// charts need not read every proposal.
func (s *Server) summarizeProposals(c echo.Context) error {
	q, err := s.proposalQuery(c)
	if err != nil {
		return err
	}
	sum, err := s.db.SummarizeProposals(c.Request().Context(), q)
	if err != nil {
		return err
	}
	groups := func(gs []store.SummaryGroup) []summaryGroup {
		out := make([]summaryGroup, 0, len(gs))
		for _, g := range gs {
			out = append(out, summaryGroup(g))
		}
		return out
	}
	return c.JSON(http.StatusOK, proposalSummary{Count: sum.Count, AmountIDR: sum.AmountIDR, Stages: groups(sum.Stages), KabKota: groups(sum.KabKota)})
}

func validStage(s domain.Stage) bool {
	for _, x := range domain.Stages {
		if x == s {
			return true
		}
	}
	return false
}

func stageList() string {
	s := make([]string, len(domain.Stages))
	for i, x := range domain.Stages {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}

// cycleMap loads every cycle (a short table: one per province and year) so
// a page of proposals is judged against its cycles' calendars in one query.
func (s *Server) cycleMap(ctx context.Context) (map[string]*domain.Cycle, error) {
	cycles, err := s.db.ListCycles(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]*domain.Cycle, len(cycles))
	for i := range cycles {
		m[cycles[i].ID] = &cycles[i]
	}
	return m, nil
}

type historyList struct {
	Items []domain.ProposalEvent `json:"items"`
}

// proposalHistory lists a proposal's recorded changes, oldest first: who,
// in which role, when, from which stage to which, and why.
func (s *Server) proposalHistory(c echo.Context) error {
	p, err := s.visibleProposal(c, c.Param("id"))
	if err != nil {
		return err
	}
	events, err := s.db.ListProposalEvents(c.Request().Context(), p.ID)
	if err != nil {
		return err
	}
	if events == nil {
		events = []domain.ProposalEvent{}
	}
	return c.JSON(http.StatusOK, historyList{Items: events})
}

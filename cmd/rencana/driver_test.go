package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
)

// The lifecycle driver: a client of the HTTP API that takes proposals
// through every stage the way a careful person (or client program) does
// in production, spreading its requests over several `rencana serve`
// processes. What the README says is safe to retry is what it retries: a
// transport error, a 500 or a 503 from an action means "re-read the
// proposal" and, if the action did not land, send it again; a 409 after
// such an error means it had landed. Used by the topology test and the
// metrics test.

// apiCall is one answered request.
type apiCall struct {
	status int
	header http.Header
	body   []byte
}

// problem is the error text of a refused request.
func (r apiCall) problem() string {
	var p struct{ Title, Detail string }
	_ = json.Unmarshal(r.body, &p)
	return fmt.Sprintf("%d %s %s", r.status, p.Title, p.Detail)
}

// retryable is what the README tells clients to re-read and retry.
func retryable(status int) bool {
	return status == http.StatusInternalServerError || status == http.StatusBadGateway ||
		status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

// driver drives the API through bases in turn.
type driver struct {
	t     testing.TB
	bases []string
	next  atomic.Uint64
	hc    *http.Client

	// retries counts requests sent again after a transport error or a
	// 5xx; landed counts actions found done on re-reading after one.
	retries, landed atomic.Int64

	admin    string
	password string
	tokens   map[domain.Role]string
	fy       int
	cycleID  string
	sipdCode string
}

const (
	drvProvince = "74"
	drvKabKota  = "74.05"
	drvKec      = "74.05.03"
)

func newDriver(t testing.TB, bases ...string) *driver {
	return &driver{t: t, bases: bases, hc: &http.Client{Timeout: 90 * time.Second}, tokens: map[domain.Role]string{}, password: "rahasia-topologi-1"}
}

// call sends one request to the next base; err is a transport error only.
func (d *driver) call(ctx context.Context, method, path, token string, body any, hdr map[string]string) (apiCall, error) {
	base := d.bases[int(d.next.Add(1))%len(d.bases)]
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiCall{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return apiCall{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return apiCall{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return apiCall{}, err
	}
	return apiCall{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// pause waits between tries, or fails when ctx ends.
func (d *driver) pause(ctx context.Context, what string, attempt int) error {
	if attempt > 600 {
		return fmt.Errorf("%s: still failing after %d tries", what, attempt)
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", what, ctx.Err())
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}

// must sends a request until it gets an answer that is not a transport
// error or a 5xx, and returns it: for reads and idempotent writes.
func (d *driver) must(ctx context.Context, method, path, token string, body any, hdr map[string]string) (apiCall, error) {
	for attempt := 1; ; attempt++ {
		r, err := d.call(ctx, method, path, token, body, hdr)
		if err == nil && !retryable(r.status) {
			return r, nil
		}
		if attempt > 1 || err != nil || retryable(r.status) {
			d.retries.Add(1)
		}
		if err := d.pause(ctx, method+" "+path, attempt); err != nil {
			return r, err
		}
	}
}

// get reads path into out, retrying transport errors and 5xx.
func (d *driver) get(ctx context.Context, path, token string, out any) error {
	r, err := d.must(ctx, http.MethodGet, path, token, nil, nil)
	if err != nil {
		return err
	}
	if r.status != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, r.problem())
	}
	return json.Unmarshal(r.body, out)
}

func (d *driver) login(ctx context.Context, username, password string) (string, error) {
	r, err := d.must(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, nil)
	if err != nil {
		return "", err
	}
	if r.status != http.StatusOK {
		return "", fmt.Errorf("login %s: %s", username, r.problem())
	}
	var out struct{ Token string }
	return out.Token, json.Unmarshal(r.body, &out)
}

// drvUsers are the people of one kecamatan's proposals, from draft to SIPD.
var drvUsers = []struct {
	role  domain.Role
	scope string
}{
	{domain.RolePerencanaKecamatan, drvKec},
	{domain.RoleCamat, drvKec},
	{domain.RoleReviewerKabKota, drvKabKota},
	{domain.RolePerencanaKabKota, drvKabKota},
	{domain.RoleKadisProvinsi, drvProvince},
	{domain.RolePerencanaProvinsi, drvProvince},
	{domain.RolePenghubungKementrian, domain.NationalScope},
}

// setup logs the admin in, creates one user per role (a 409 on a retried
// creation is fine), opens next fiscal year's cycle and picks a SIPD code.
func (d *driver) setup(ctx context.Context, adminPassword string) error {
	var err error
	if d.admin, err = d.login(ctx, "admin", adminPassword); err != nil {
		return err
	}
	for _, u := range drvUsers {
		name := "topo." + string(u.role)
		body := map[string]any{"username": name, "password": d.password, "full_name": "Uji " + string(u.role),
			"roles": []map[string]string{{"role": string(u.role), "scope": u.scope}}}
		r, err := d.must(ctx, http.MethodPost, "/api/v1/admin/users", d.admin, body, nil)
		if err != nil {
			return err
		}
		if r.status != http.StatusCreated && r.status != http.StatusConflict {
			return fmt.Errorf("create user %s: %s", name, r.problem())
		}
		if d.tokens[u.role], err = d.login(ctx, name, d.password); err != nil {
			return err
		}
	}
	// A grant made through one API reaches the others' policy caches at
	// their next poll (policies.DefaultPollInterval): wait until every API
	// knows every user's role before acting on it.
	for _, base := range d.bases {
		for _, u := range drvUsers {
			for attempt := 1; ; attempt++ {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/me", nil)
				if err != nil {
					return err
				}
				req.Header.Set("Authorization", "Bearer "+d.tokens[u.role])
				resp, err := d.hc.Do(req)
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK && strings.Contains(string(b), `"`+string(u.role)+`"`) {
						break
					}
				}
				if err := d.pause(ctx, "grant of "+string(u.role)+" at "+base, attempt); err != nil {
					return err
				}
			}
		}
	}
	now := time.Now().UTC()
	d.fy = now.Year() + 1
	d.cycleID = domain.CycleID(drvProvince, d.fy)
	end := time.Date(now.Year(), 12, 31, 23, 0, 0, 0, time.UTC)
	left := end.Sub(now)
	if left < time.Hour {
		return fmt.Errorf("it is %s: too close to the end of the year for a cycle whose dates lie in %d", now.Format(time.RFC3339), now.Year())
	}
	at := func(f float64) string {
		return now.Add(time.Duration(float64(left) * f)).Truncate(time.Second).Format(time.RFC3339)
	}
	cal := map[string]string{
		"submission_deadline": at(0.40), "review_deadline": at(0.55), "rakorda_start": at(0.65), "rakorda_end": at(0.75),
		"consolidation_deadline": at(0.85), "ministry_deadline": at(0.92), "mapping_deadline": at(0.97),
	}
	r, err := d.must(ctx, http.MethodPost, "/api/v1/cycles", d.tokens[domain.RoleKadisProvinsi],
		map[string]any{"province_code": drvProvince, "fiscal_year": d.fy, "calendar": cal}, nil)
	if err != nil {
		return err
	}
	if r.status != http.StatusCreated && r.status != http.StatusConflict {
		return fmt.Errorf("open cycle: %s", r.problem())
	}
	var nom struct {
		Items []struct {
			Code       string `json:"code"`
			PemdaLevel string `json:"pemda_level"`
		}
	}
	q := url.Values{"pemda_level": {"kabkota"}, "fiscal_year": {fmt.Sprint(d.fy)}, "level": {"sub_kegiatan"}, "limit": {"50"}}
	if err := d.get(ctx, "/api/v1/nomenclature?"+q.Encode(), d.admin, &nom); err != nil {
		return err
	}
	for _, n := range nom.Items {
		if n.PemdaLevel == string(domain.PemdaKabKota) {
			d.sipdCode = n.Code
			break
		}
	}
	if d.sipdCode == "" {
		return fmt.Errorf("no kab/kota sub kegiatan for fiscal year %d", d.fy)
	}
	return nil
}

// drvProposal is what the driver reads back of a proposal.
type drvProposal struct {
	ID           string `json:"id"`
	Stage        string `json:"stage"`
	Consolidated bool   `json:"consolidated"`
}

// create drafts a proposal; the Idempotency-Key makes a retried POST land
// on the same proposal.
func (d *driver) create(ctx context.Context, key string, i int) (string, error) {
	body := map[string]any{
		"cycle_id": d.cycleID, "region_code": drvKec,
		"title":       fmt.Sprintf("Pelatihan pengemasan produk UMKM Andoolo %d", i),
		"description": "Pelatihan dan pendampingan pelaku usaha mikro (uji topologi produksi).",
		"category":    "pelatihan", "amount_idr": 50_000_000 + int64(i)*1_000_000, "funding_source": "apbd_kabkota",
		"indicators":    []map[string]any{{"name": "Pelaku UMKM terlatih", "target": 25, "unit": "orang"}},
		"beneficiaries": "Pelaku usaha mikro Kecamatan Andoolo",
	}
	r, err := d.must(ctx, http.MethodPost, "/api/v1/proposals", d.tokens[domain.RolePerencanaKecamatan], body, map[string]string{"Idempotency-Key": key})
	if err != nil {
		return "", err
	}
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		return "", fmt.Errorf("create %s: %s", key, r.problem())
	}
	var p drvProposal
	if err := json.Unmarshal(r.body, &p); err != nil {
		return "", err
	}
	return p.ID, nil
}

// drvStep is one action of the lifecycle, who takes it and what it leads to.
type drvStep struct {
	action domain.Action
	role   domain.Role
	body   func(d *driver, i int) map[string]any
	done   func(p drvProposal) bool
}

func stageIs(s domain.Stage) func(drvProposal) bool {
	return func(p drvProposal) bool { return p.Stage == string(s) }
}

// drvSteps are the proposal actions in order; the cycle's date moves and
// its lock come between them (lifecycle).
var drvSteps = map[domain.Action]drvStep{
	domain.ActionSubmit: {domain.ActionSubmit, domain.RoleCamat,
		func(*driver, int) map[string]any { return map[string]any{} }, stageIs(domain.StageKabKotaReview)},
	domain.ActionApprove: {domain.ActionApprove, domain.RoleReviewerKabKota,
		func(*driver, int) map[string]any { return map[string]any{"comment": "Layak dibahas di Rakorda."} }, stageIs(domain.StageRakorda)},
	domain.ActionAccept: {domain.ActionAccept, domain.RoleKadisProvinsi,
		func(*driver, int) map[string]any { return map[string]any{"comment": "Disepakati di Rakorda."} }, stageIs(domain.StageConsolidation)},
	domain.ActionConsolidate: {domain.ActionConsolidate, domain.RolePerencanaProvinsi,
		func(_ *driver, i int) map[string]any {
			return map[string]any{"priority": i + 1, "consolidated_amount_idr": 45_000_000, "funding_source": "apbd_kabkota"}
		}, func(p drvProposal) bool { return p.Stage == string(domain.StageConsolidation) && p.Consolidated }},
	domain.ActionFund: {domain.ActionFund, domain.RolePenghubungKementrian,
		func(*driver, int) map[string]any { return map[string]any{"funding_source": "apbd_kabkota"} }, stageIs(domain.StageSIPDMapping)},
	domain.ActionMap: {domain.ActionMap, domain.RolePerencanaKabKota,
		func(d *driver, _ int) map[string]any { return map[string]any{"sipd_code": d.sipdCode} }, stageIs(domain.StageFinal)},
}

// act takes one action on proposal id (the i-th) until it is done. An
// answer lost to a killed process, a 500 or a 503 is followed by a re-read:
// the action is sent again only if the proposal does not show it yet, and
// a 409 to a resent action is accepted only when the re-read shows it done.
func (d *driver) act(ctx context.Context, id string, i int, s drvStep) error {
	path := "/api/v1/proposals/" + id + "/actions/" + string(s.action)
	token := d.tokens[s.role]
	uncertain := false
	for attempt := 1; ; attempt++ {
		r, err := d.call(ctx, http.MethodPost, path, token, s.body(d, i), nil)
		switch {
		case err == nil && r.status == http.StatusOK:
			var p drvProposal
			if err := json.Unmarshal(r.body, &p); err != nil {
				return err
			}
			if !s.done(p) {
				return fmt.Errorf("%s %s answered stage %q", s.action, id, p.Stage)
			}
			return nil
		case err == nil && r.status == http.StatusConflict && !uncertain:
			return fmt.Errorf("%s %s refused: %s", s.action, id, r.problem())
		case err == nil && !retryable(r.status) && r.status != http.StatusConflict:
			return fmt.Errorf("%s %s refused: %s", s.action, id, r.problem())
		}
		// A lost answer: re-read the proposal, as the README says.
		uncertain = true
		d.retries.Add(1)
		var p drvProposal
		if err := d.get(ctx, "/api/v1/proposals/"+id, token, &p); err != nil {
			return err
		}
		if s.done(p) {
			d.landed.Add(1)
			return nil
		}
		if err := d.pause(ctx, string(s.action)+" "+id, attempt); err != nil {
			return err
		}
	}
}

// moveDates changes the cycle's calendar as its kepala dinas, with
// If-Match, asking again after a lost answer or a stale ETag.
func (d *driver) moveDates(ctx context.Context, cal map[string]string) error {
	token := d.tokens[domain.RoleKadisProvinsi]
	for attempt := 1; ; attempt++ {
		g, err := d.must(ctx, http.MethodGet, "/api/v1/cycles/"+d.cycleID, token, nil, nil)
		if err != nil {
			return err
		}
		r, err := d.call(ctx, http.MethodPatch, "/api/v1/cycles/"+d.cycleID, token, map[string]any{"calendar": cal},
			map[string]string{"If-Match": g.header.Get("ETag")})
		if err == nil && r.status == http.StatusOK {
			return nil
		}
		if err == nil && !retryable(r.status) && r.status != http.StatusPreconditionFailed {
			return fmt.Errorf("move dates: %s", r.problem())
		}
		d.retries.Add(1)
		if err := d.pause(ctx, "move dates", attempt); err != nil {
			return err
		}
	}
}

// lock locks the cycle, following GET .../lock when the answer is lost.
func (d *driver) lock(ctx context.Context) error {
	token := d.tokens[domain.RoleKadisProvinsi]
	for attempt := 1; ; attempt++ {
		var cy struct{ Locked bool }
		if err := d.get(ctx, "/api/v1/cycles/"+d.cycleID, token, &cy); err != nil {
			return err
		}
		if cy.Locked {
			return nil
		}
		var pr struct{ Running bool }
		if err := d.get(ctx, "/api/v1/cycles/"+d.cycleID+"/lock", token, &pr); err != nil {
			return err
		}
		if !pr.Running {
			r, err := d.call(ctx, http.MethodPost, "/api/v1/cycles/"+d.cycleID+"/actions/lock", token, map[string]string{"comment": "Hasil konsolidasi dikunci."}, nil)
			if err == nil && r.status == http.StatusOK {
				return nil
			}
			if err == nil && !retryable(r.status) && r.status != http.StatusConflict {
				return fmt.Errorf("lock: %s", r.problem())
			}
		}
		d.retries.Add(1)
		if err := d.pause(ctx, "lock", attempt); err != nil {
			return err
		}
	}
}

// phase runs fn over every proposal, conc at a time, and calls during once
// the first of them is answered (a fault injected while actions run).
func (d *driver) phase(ctx context.Context, ids []string, conc int, during func(), fn func(ctx context.Context, id string, i int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		errs     []string
		answered = make(chan struct{})
		once     sync.Once
		sem      = make(chan struct{}, conc)
	)
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := fn(ctx, id, i); err != nil {
				mu.Lock()
				errs = append(errs, err.Error())
				mu.Unlock()
			}
			once.Do(func() { close(answered) })
		}()
	}
	if during != nil {
		<-answered
		during()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d failed: %s", len(errs), strings.Join(errs, "; "))
	}
	return nil
}

// lifecycle takes ids through every stage: submit, approve, Rakorda opens,
// accept, consolidate, Rakorda closes, lock, fund, map. faults[action], when
// set, runs while that action's phase is under way ("lock": just before
// the cycle is locked).
func (d *driver) lifecycle(ctx context.Context, ids []string, conc int, faults map[string]func()) error {
	actions := func(a domain.Action) error {
		s := drvSteps[a]
		if err := d.phase(ctx, ids, conc, faults[string(a)], func(ctx context.Context, id string, i int) error { return d.act(ctx, id, i, s) }); err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		return nil
	}
	for _, a := range []domain.Action{domain.ActionSubmit, domain.ActionApprove} {
		if err := actions(a); err != nil {
			return err
		}
	}
	now := time.Now().UTC()
	if now.Sub(time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)) < 10*time.Minute {
		return fmt.Errorf("too close to 1 January to put the cycle's deadlines in the past within the year")
	}
	ago := func(dur time.Duration) string { return now.Add(-dur).Truncate(time.Second).Format(time.RFC3339) }
	if err := d.moveDates(ctx, map[string]string{"submission_deadline": ago(3 * time.Minute), "review_deadline": ago(2 * time.Minute), "rakorda_start": ago(time.Minute)}); err != nil {
		return err
	}
	for _, a := range []domain.Action{domain.ActionAccept, domain.ActionConsolidate} {
		if err := actions(a); err != nil {
			return err
		}
	}
	if err := d.moveDates(ctx, map[string]string{"rakorda_end": time.Now().UTC().Add(-time.Second).Truncate(time.Second).Format(time.RFC3339)}); err != nil {
		return err
	}
	if f := faults["lock"]; f != nil {
		f()
	}
	if err := d.lock(ctx); err != nil {
		return err
	}
	for _, a := range []domain.Action{domain.ActionFund, domain.ActionMap} {
		if err := actions(a); err != nil {
			return err
		}
	}
	return nil
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/register/registertest"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/workflows"
)

// acceptRound takes kab/kota's round of year from open to accepted with
// data imported: operator → kepala dinas → province.
func (e *env) acceptRound(op person, kk string, year int, data string) {
	e.t.Helper()
	r := e.importRegister(op, kk, year, data, false)
	require.Equal(e.t, http.StatusOK, r.Code, r.Body.String())
	require.Equal(e.t, "submitted", e.roundAction(op, kk, year, "submit", "").str("status"))
	require.Equal(e.t, "verified", e.roundAction(kadisKab, kk, year, "verify", "").str("status"))
	require.Equal(e.t, "accepted", e.roundAction(provPlanner, kk, year, "accept", "").str("status"))
}

// TestRegisterTargetProgress is issue 18's "done when": Konawe Selatan
// has accepted rounds for the cycle's year N-1 and N, Kota Kendari none;
// Sumbar's four targets are set on the cycle; every figure of Konawe
// Selatan (baseline, target, planned, realised) equals one computed here
// from the imported rows and the proposals, by integer arithmetic written
// out again; Kendari shows belum_diverifikasi with null baseline and
// target; a kab/kota user sees its own rows and the province's.
func TestRegisterTargetProgress(t *testing.T) {
	now := time.Now().UTC()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{worker: true, people: true, cycleByAPI: true})
		e.addPerson(operatorKonsel)
		e.addPerson(kadisSulsel)
		// The register's rounds of last year and this year are accepted
		// (a round of next year cannot be opened yet): the cycle of this
		// fiscal year, opened last year, has both its baseline (N-1) and
		// its realised year (N); next year's cycle, opened now, has its
		// baseline only.
		y1, y2 := now.Year()-1, now.Year()
		var regions []store.Region
		var desas []register.Desa
		for _, kec := range []string{"74.05.03", "74.05.04"} {
			for d := 2001; d <= 2005; d++ {
				code := fmt.Sprintf("%s.%d", kec, d)
				if code != "74.05.03.2001" {
					regions = append(regions, store.Region{Code: code, Name: "Desa " + code, Level: 4, ParentCode: kec})
				}
				desas = append(desas, register.Desa{Code: code, Name: "Desa " + code})
			}
		}
		_, err := db.InsertRegions(e.ctx, regions)
		require.NoError(t, err)
		t.Cleanup(func() {
			for _, kk := range []string{"74.05", "74.71"} {
				for _, y := range []int{y1, y2} {
					_ = e.tc.TerminateWorkflow(context.Background(), workflows.DataRoundWorkflowID(kk, y), "", "test finished")
				}
			}
		})

		recs := map[int][][]string{}
		for _, year := range []int{y1, y2} {
			r := e.as(provPlanner, http.MethodPost, "/api/v1/data-rounds", map[string]any{
				"province": "74", "year": year, "due_at": now.Add(10 * 24 * time.Hour).Format(time.RFC3339)})
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			data, rows, err := registertest.File(desas, year, register.SynthOptions{PerDesa: 4, Now: now})
			require.NoError(t, err)
			recs[year] = rows
			e.acceptRound(operatorKonsel, "74.05", year, data)
		}

		// Sumbar's four targets, set with the cycle and replaced by PUT.
		e.openCycle(cycleCalendar(t, 0), "targets", []any{map[string]any{"indicator": "rat", "percent": 10}})
		base := "/api/v1/cycles/" + e.cycle.ID
		requireField(t, e.as(kadisProv, http.MethodPut, base+"/targets", map[string]any{"targets": []any{
			map[string]any{"indicator": "anggota_baru", "percent": 8}}}), "targets[0].indicator")
		requireField(t, e.as(kadisProv, http.MethodPut, base+"/targets", map[string]any{"targets": []any{
			map[string]any{"indicator": "koperasi_tidak_aktif", "percent": 125}}}), "targets[0].percent")
		percent := map[string]int64{"koperasi_baru": 8, "rat": 15, "koperasi_tidak_aktif": 25, "koperasi_berkualitas": 14}
		order := []string{"koperasi_baru", "rat", "koperasi_tidak_aktif", "koperasi_berkualitas"}
		var targets []any
		for _, ind := range order {
			targets = append(targets, map[string]any{"indicator": ind, "percent": percent[ind]})
		}
		// A keyword target stays beside them.
		targets = append(targets, map[string]any{"code": "kw", "name": "Pelatihan", "keywords": []string{"pelatihan"}, "min": 10})
		r := e.as(kadisProv, http.MethodPut, base+"/targets", map[string]any{"targets": targets})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		e.schemaCheck()("Cycle", r.body)
		var next struct{ Targets []domain.Target }
		require.NoError(t, json.Unmarshal(r.Body.Bytes(), &next))
		require.Len(t, next.Targets, 5)

		// This fiscal year's cycle, as its workflow recorded it last year,
		// with the same targets.
		past := domain.CycleDetail{Cycle: domain.Cycle{ID: domain.CycleID("74", y2), ProvinceCode: "74", FiscalYear: y2,
			Calendar: openCalendar(), CreatedBy: kadisProv.username}, Targets: next.Targets}
		_, err = db.RecordCycle(e.ctx, past, domain.CycleEvent{CycleID: past.ID, Seq: 1, Action: "create", Origin: "test",
			Actor: domain.Actor{Username: kadisProv.username, Role: kadisProv.role, Scope: "74"}, At: now})
		require.NoError(t, err)
		nextBase := base
		base = "/api/v1/cycles/" + past.ID

		// Proposals: what they plan, by hand. The declined one and the
		// indicator without target_indicator count for nothing.
		plan := func(id, region string, stage domain.Stage, inds ...domain.Indicator) {
			e.insertProposal(domain.Proposal{ID: id, CycleID: past.ID, RegionCode: region, Title: "Usulan " + id,
				Category: domain.Category("pelatihan"), Stage: stage, CreatedBy: kecPlanner.username, Indicators: inds})
		}
		ind := func(target float64, ti domain.RegisterIndicator) domain.Indicator {
			return domain.Indicator{Name: "Koperasi dibina", Target: target, Unit: "koperasi", TargetIndicator: ti}
		}
		plan("p1", "74.05.03", domain.StageKabKotaReview, ind(2, domain.IndKoperasiBaru), ind(3, domain.IndRAT))
		plan("p2", "74.05.04", domain.StageRakorda, ind(1, domain.IndKoperasiBaru), ind(4, domain.IndKoperasiTidakAktif), ind(9, ""))
		plan("p3", "74.05.04", domain.StageDeclined, ind(50, domain.IndKoperasiBaru))
		plan("p4", "74.71.01", domain.StageDraft, ind(6, domain.IndKoperasiBerkualitas))
		planned := map[string]map[string]int64{
			"74.05": {"koperasi_baru": 3, "rat": 3, "koperasi_tidak_aktif": 4},
			"74.71": {"koperasi_berkualitas": 6},
		}

		prev, cur := registertest.Expect(recs[y1], "74.05", y1), registertest.Expect(recs[y2], "74.05", y2)
		require.Positive(t, prev.Active)
		require.Positive(t, prev.RATHeld)
		require.Positive(t, cur.Inactive+cur.New)
		baseline := map[string]int64{"koperasi_baru": prev.Active, "rat": prev.RATHeld, "koperasi_tidak_aktif": prev.Inactive, "koperasi_berkualitas": prev.Berkualitas}
		realised := map[string]int64{"koperasi_baru": cur.New, "rat": cur.RATHeld, "koperasi_tidak_aktif": cur.Inactive, "koperasi_berkualitas": cur.Berkualitas}
		// DESIGN.md's formulas with whole percents: ⌈a/100⌉ = (a+99)/100.
		target := map[string]int64{
			"koperasi_baru":        (prev.Active*percent["koperasi_baru"] + 99) / 100,
			"rat":                  (prev.RATHeld*(100+percent["rat"]) + 99) / 100,
			"koperasi_tidak_aktif": prev.Inactive * (100 - percent["koperasi_tidak_aktif"]) / 100,
			"koperasi_berkualitas": (prev.Berkualitas*(100+percent["koperasi_berkualitas"]) + 99) / 100,
		}

		type row struct {
			Indicator  string `json:"indicator"`
			Region     string `json:"region"`
			Province   bool   `json:"province"`
			Baseline   *int64 `json:"baseline"`
			Target     *int64 `json:"target"`
			Planned    int64  `json:"planned"`
			Realised   *int64 `json:"realised"`
			DataStatus string `json:"data_status"`
		}
		progress := func(p person, base string) []row {
			r := e.as(p, http.MethodGet, base+"/targets/progress", nil)
			require.Equal(t, http.StatusOK, r.Code, r.Body.String())
			e.schemaCheck()("TargetProgressList", r.body)
			var out struct{ Items []row }
			require.NoError(t, json.Unmarshal(r.Body.Bytes(), &out))
			return out.Items
		}
		i64 := func(n int64) *int64 { return &n }
		rows := progress(provPlanner, base)
		require.Len(t, rows, 4*3, "four targets × (two kab/kota + province); the keyword target has no row")
		for i, ind := range order {
			konsel, kendari, prov := rows[3*i], rows[3*i+1], rows[3*i+2]
			require.Equal(t, row{Indicator: ind, Region: "74.05", Baseline: i64(baseline[ind]), Target: i64(target[ind]),
				Planned: planned["74.05"][ind], Realised: i64(realised[ind]), DataStatus: "accepted"}, konsel, ind)
			require.Equal(t, row{Indicator: ind, Region: "74.71", Planned: planned["74.71"][ind], DataStatus: "belum_diverifikasi"}, kendari, ind)
			require.Equal(t, row{Indicator: ind, Region: "74", Province: true, Planned: planned["74.05"][ind] + planned["74.71"][ind],
				DataStatus: "belum_diverifikasi"}, prov, "%s: Kendari has no accepted round, so the province has no total", ind)
		}

		// Next year's cycle: this year's round is its baseline, next
		// year's has not been accepted, so nothing is realised yet; its
		// proposals plan nothing.
		rows = progress(provPlanner, nextBase)
		require.Len(t, rows, 4*3)
		for i, ind := range order {
			b := map[string]int64{"koperasi_baru": cur.Active, "rat": cur.RATHeld, "koperasi_tidak_aktif": cur.Inactive, "koperasi_berkualitas": cur.Berkualitas}[ind]
			require.Equal(t, i64(b), rows[3*i].Baseline, ind)
			require.Nil(t, rows[3*i].Realised, ind)
			require.Zero(t, rows[3*i].Planned, ind)
			require.Equal(t, "belum_diverifikasi", rows[3*i+1].DataStatus, ind)
		}

		// A kab/kota user: its rows and the province's.
		rows = progress(kadisKab, base)
		require.Len(t, rows, 8)
		for _, r := range rows {
			require.Contains(t, []string{"74.05", "74"}, r.Region)
		}
		require.Len(t, progress(kendariPlan, base), 8)
		require.Equal(t, http.StatusNotFound, e.as(kadisSulsel, http.MethodGet, base+"/targets/progress", nil).Code)

		// The pages: the progress page shows each kab/kota's figures and
		// "data belum diverifikasi" for Kendari; the form sets the register
		// targets and keeps the keyword target.
		pg := e.page(provPlanner, http.MethodGet, "/siklus/"+past.ID+"/target", nil)
		require.Equal(t, http.StatusOK, pg.Code, pg.Body.String())
		html := pg.Body.String()
		require.Contains(t, html, "Kabupaten Konawe Selatan (74.05)")
		require.Contains(t, html, "data belum diverifikasi")
		require.Contains(t, html, fmt.Sprintf("rencana %d dari target %d", planned["74.05"]["koperasi_baru"], target["koperasi_baru"]))
		pg = e.page(kadisProv, http.MethodPost, "/siklus/"+e.cycle.ID+"/target", url.Values{"koperasi_baru": {"7,5"}, "rat": {""}, "koperasi_tidak_aktif": {"25"}, "koperasi_berkualitas": {""}})
		require.Equal(t, http.StatusSeeOther, pg.Code, pg.Body.String())
		r = e.as(kadisProv, http.MethodGet, nextBase, nil)
		var saved struct{ Targets []domain.Target }
		require.NoError(t, json.Unmarshal(r.Body.Bytes(), &saved))
		got := map[string]float64{}
		for _, t := range saved.Targets {
			got[t.Code] = t.Percent
		}
		require.Equal(t, map[string]float64{"kw": 0, "koperasi_baru": 7.5, "koperasi_tidak_aktif": 25}, got)
	})
}

// TestProposalBeneficiaryKoperasi: a proposal names koperasi of the
// register within its region; an unknown id or one outside the region is
// 422 naming the list entry, nothing created; the ids come back on GET,
// in the projection's links, and a PATCH replaces them.
func TestProposalBeneficiaryKoperasi(t *testing.T) {
	now := time.Now().UTC()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e, desas := registerEnv(t, db, now.Year())
		r := e.as(provPlanner, http.MethodPost, "/api/v1/data-rounds", map[string]any{
			"province": "74", "year": now.Year(), "due_at": now.Add(10 * 24 * time.Hour).Format(time.RFC3339)})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		data, _, err := registertest.File(desas["74.05"], now.Year(), register.SynthOptions{PerDesa: 2, Now: now})
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, e.importRegister(operatorKonsel, "74.05", now.Year(), data, false).Code)
		in := func(region string) []string {
			page, err := db.ListKoperasi(e.ctx, store.KoperasiQuery{Scopes: []string{region}, Limit: 100})
			require.NoError(t, err)
			var out []string
			for _, k := range page.Items {
				out = append(out, k.ID)
			}
			require.NotEmpty(t, out, region)
			return out
		}
		andoolo, buke := in("74.05.03"), in("74.05.04")

		before := e.countProposals()
		r = e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", with(goodDraft(e.cycle.ID), "beneficiaries_koperasi", []string{andoolo[0], "tidak-ada"}))
		requireField(t, r, "beneficiaries_koperasi[1]")
		r = e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", with(goodDraft(e.cycle.ID), "beneficiaries_koperasi", []string{buke[0]}))
		requireField(t, r, "beneficiaries_koperasi[0]")
		require.Contains(t, r.Body.String(), "di luar wilayah usulan")
		require.Equal(t, before, e.countProposals(), "nothing created")

		r = e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", with(goodDraft(e.cycle.ID), "beneficiaries_koperasi", []string{andoolo[0], andoolo[1], andoolo[0]}))
		require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
		e.schemaCheck()("Proposal", r.body)
		id := r.str("id")
		require.Equal(t, []any{andoolo[0], andoolo[1]}, r.body["beneficiaries_koperasi"], "repeats dropped")
		links := func() []string {
			var out []string
			require.NoError(t, db.ScanSQL(e.ctx, &out, "SELECT koperasi_id FROM proposal_koperasi WHERE proposal_id = ? ORDER BY koperasi_id", id))
			return out
		}
		require.ElementsMatch(t, []string{andoolo[0], andoolo[1]}, links())

		match := header{"If-Match", "*"}
		requireField(t, e.as(kecPlanner, http.MethodPatch, "/api/v1/proposals/"+id, map[string]any{"beneficiaries_koperasi": []string{buke[0]}}, match), "beneficiaries_koperasi[0]")
		r = e.as(kecPlanner, http.MethodPatch, "/api/v1/proposals/"+id, map[string]any{"beneficiaries_koperasi": []string{andoolo[1]}}, match)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, []any{andoolo[1]}, r.body["beneficiaries_koperasi"])
		require.Eventually(t, func() bool { l := links(); return len(l) == 1 && l[0] == andoolo[1] }, 10*time.Second, 50*time.Millisecond)
		r = e.as(kecPlanner, http.MethodGet, "/api/v1/proposals/"+id, nil)
		require.Equal(t, []any{andoolo[1]}, r.body["beneficiaries_koperasi"])
		// The edit form carries the list.
		pg := e.page(kecPlanner, http.MethodGet, "/usulan/"+id+"/ubah", nil)
		require.Equal(t, http.StatusOK, pg.Code)
		require.Contains(t, pg.Body.String(), `name="beneficiaries_koperasi" value="`+andoolo[1]+`"`)

		// Eligibility at consolidation, from the register of this year
		// (book year N-1 of next year's cycle): a koperasi that is not
		// active, and an active one without RAT for capital support, are
		// warned of by name; an active one with RAT is not.
		var facts []struct {
			KoperasiID string
			Status     string
			RATHeld    bool
		}
		require.NoError(t, db.ScanSQL(e.ctx, &facts, "SELECT koperasi_id, status, rat_held FROM koperasi_years WHERE year = ? ORDER BY koperasi_id", now.Year()))
		pick := func(status string, rat bool) string {
			for _, f := range facts {
				if f.Status == status && (status != "aktif" || f.RATHeld == rat) {
					return f.KoperasiID
				}
			}
			t.Fatalf("no koperasi %s rat=%t in the synthetic register", status, rat)
			return ""
		}
		inactive, noRAT, good := pick("tidak_aktif", false), pick("aktif", false), pick("aktif", true)
		e.insertProposal(domain.Proposal{ID: "elig-1", CycleID: e.cycle.ID, RegionCode: "74.05", Title: "Modal", Category: "permodalan",
			Stage: domain.StageConsolidation, CreatedBy: kabPlanner.username, BeneficiariesKoperasi: []string{inactive, noRAT}})
		e.insertProposal(domain.Proposal{ID: "elig-2", CycleID: e.cycle.ID, RegionCode: "74.05", Title: "Modal lain", Category: "permodalan",
			Stage: domain.StageConsolidation, CreatedBy: kabPlanner.username, BeneficiariesKoperasi: []string{good}})
		r = e.as(provPlanner, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID+"/consolidation", nil)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		e.schemaCheck()("ConsolidationView", r.body)
		got := map[string][]string{}
		for _, row := range r.body["rows"].([]any) {
			m := row.(map[string]any)
			for _, w := range m["warnings"].([]any) {
				w := w.(map[string]any)
				if w["kind"] == "eligibility" {
					pid := m["proposal"].(map[string]any)["id"].(string)
					got[pid] = append(got[pid], w["reason"].(string)+":"+w["koperasi_id"].(string))
				}
			}
		}
		// The inactive one held no RAT either: two reasons, each named.
		require.Equal(t, map[string][]string{"elig-1": {"koperasi_tidak_aktif:" + inactive, "tanpa_rat:" + inactive, "tanpa_rat:" + noRAT}}, got)
		pg = e.page(provPlanner, http.MethodGet, "/siklus/"+e.cycle.ID+"/konsolidasi", nil)
		require.Equal(t, http.StatusOK, pg.Code)
		require.Contains(t, pg.Body.String(), "tidak menyelenggarakan RAT", "the consolidation page shows the warnings")

		// Coverage of Konawe Selatan: two funded proposals (final, SIPD
		// mapping) reach three koperasi; the consolidation-stage ones above
		// reach nobody yet. Unreached: exactly the koperasi active in this
		// year's register minus those three.
		e.insertProposal(domain.Proposal{ID: "fund-1", CycleID: e.cycle.ID, RegionCode: "74.05", Title: "Modal didanai", Category: "permodalan",
			Stage: domain.StageFinal, CreatedBy: kabPlanner.username, BeneficiariesKoperasi: []string{good, inactive}})
		e.insertProposal(domain.Proposal{ID: "fund-2", CycleID: e.cycle.ID, RegionCode: "74.05.03", Title: "Pelatihan didanai", Category: "pelatihan",
			Stage: domain.StageSIPDMapping, CreatedBy: kecPlanner.username, BeneficiariesKoperasi: []string{andoolo[1], good}})
		fy := e.cycle.FiscalYear
		r = e.as(kabPlanner, http.MethodGet, fmt.Sprintf("/api/v1/koperasi/coverage?region=74.05&from=%d&to=%d", fy-1, fy), nil)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		e.schemaCheck()("Coverage", r.body)
		var cov store.Coverage
		require.NoError(t, json.Unmarshal(r.Body.Bytes(), &cov))
		require.Equal(t, now.Year(), cov.RegisterYear)
		reached := map[string][]string{}
		for _, k := range cov.Funded {
			for _, p := range k.Proposals {
				reached[k.KoperasiID] = append(reached[k.KoperasiID], p.ID)
			}
		}
		require.Equal(t, map[string][]string{good: {"fund-1", "fund-2"}, inactive: {"fund-1"}, andoolo[1]: {"fund-2"}}, reached)
		var want, gotUnreached []string
		for _, f := range facts {
			if f.Status == "aktif" && f.KoperasiID != good && f.KoperasiID != andoolo[1] && strings.HasPrefix(regionOf(t, db, f.KoperasiID), "74.05.") {
				want = append(want, f.KoperasiID)
			}
		}
		for _, k := range cov.Unreached {
			gotUnreached = append(gotUnreached, k.KoperasiID)
		}
		require.NotEmpty(t, want)
		require.ElementsMatch(t, want, gotUnreached)
		// Earlier years only: nothing funded, every active koperasi unreached.
		r = e.as(kabPlanner, http.MethodGet, fmt.Sprintf("/api/v1/koperasi/coverage?region=74.05&from=%d&to=%d", fy-3, fy-1), nil)
		require.NoError(t, json.Unmarshal(r.Body.Bytes(), &cov))
		require.Empty(t, cov.Funded)
		require.Len(t, cov.Unreached, len(want)+2)
		// The workbook, and another kab/kota's user refused.
		r = e.as(kabPlanner, http.MethodGet, fmt.Sprintf("/api/v1/koperasi/coverage?region=74.05&from=%d&to=%d&format=xlsx", fy-1, fy), nil)
		require.Equal(t, http.StatusOK, r.Code)
		require.Equal(t, "PK", r.Body.String()[:2])
		require.Equal(t, http.StatusForbidden, e.as(kendariPlan, http.MethodGet, fmt.Sprintf("/api/v1/koperasi/coverage?region=74.05&from=%d&to=%d", fy-1, fy), nil).Code)
		requireField(t, e.as(kabPlanner, http.MethodGet, fmt.Sprintf("/api/v1/koperasi/coverage?region=74.05&from=%d&to=%d", fy, fy-1), nil), "to")
	})
}

func regionOf(t *testing.T, db *store.DB, koperasiID string) string {
	var code string
	require.NoError(t, db.ScanSQL(context.Background(), &code, "SELECT region_code FROM koperasi WHERE id = ?", koperasiID))
	return code
}

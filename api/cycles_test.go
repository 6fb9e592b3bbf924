package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/minutes"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// People beyond fixture_test.go's: the Kendari staff who move a Kota Kendari
// proposal to Rakorda, and Sulawesi Selatan's Kepala Dinas, who must not
// even see Sulawesi Tenggara's cycle.
var (
	camatKendari = person{"camat.mandonga", domain.RoleCamat, "74.71.01"}
	kabidKendari = person{"kabid.kendari", domain.RoleReviewerKabKota, "74.71"}
	kadisSulsel  = person{"kadis.sulsel", domain.RoleKadisProvinsi, "73"}
)

// cycleCalendar is a calendar for fiscal year now+1 whose dates all lie in
// now's year (the N-1 rule, which the CycleWorkflow judges by the real
// clock), around now: the first `past` dates before now, in order, the rest
// after. It skips in the first minutes and the last hour of a year, when no
// such calendar exists.
func cycleCalendar(t *testing.T, past int) domain.Calendar {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	yearStart := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	yearEnd := time.Date(now.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Second)
	back := min(now.Sub(yearStart)/8, time.Hour).Truncate(time.Second)
	ahead := min(yearEnd.Sub(now)/10, 24*time.Hour).Truncate(time.Second)
	if back < 10*time.Second || ahead < 5*time.Minute {
		t.Skip("too close to the turn of the year for an N-1 calendar around now")
	}
	var at [7]time.Time
	for i := range at {
		if i < past {
			at[i] = now.Add(-time.Duration(past-i) * back)
		} else {
			at[i] = now.Add(time.Duration(i-past+1) * ahead)
		}
	}
	return domain.Calendar{SubmissionDeadline: at[0], ReviewDeadline: at[1], RakordaStart: at[2], RakordaEnd: at[3],
		ConsolidationDeadline: at[4], MinistryDeadline: at[5], MappingDeadline: at[6]}
}

// calendarJSON is cal as the API takes it.
func calendarJSON(cal domain.Calendar) map[string]string {
	out := map[string]string{}
	for _, f := range cal.Fields() {
		out[f.Name] = f.At.UTC().Format(time.RFC3339)
	}
	return out
}

// calendarOf reads the calendar of a cycle answer.
func calendarOf(t *testing.T, cycle map[string]any) domain.Calendar {
	t.Helper()
	raw, err := json.Marshal(cycle["calendar"])
	require.NoError(t, err)
	var cal domain.Calendar
	require.NoError(t, json.Unmarshal(raw, &cal))
	return cal
}

// schemaCheck returns a function that checks an answer against a schema of
// the served OpenAPI document: no key the schema does not name, every
// required key present, recursively through $refs, arrays and inline
// objects.
func (e *env) schemaCheck() func(name string, v any) {
	doc := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	require.Equal(e.t, http.StatusOK, doc.Code)
	schemas := doc.body["components"].(map[string]any)["schemas"].(map[string]any)
	var check func(where string, s map[string]any, v any)
	resolve := func(s map[string]any) map[string]any {
		if r, ok := s["$ref"].(string); ok {
			return schemas[strings.TrimPrefix(r, "#/components/schemas/")].(map[string]any)
		}
		return s
	}
	check = func(where string, s map[string]any, v any) {
		e.t.Helper()
		s = resolve(s)
		if v == nil {
			return
		}
		if items, ok := s["items"].(map[string]any); ok {
			xs, ok := v.([]any)
			require.True(e.t, ok, "%s: not an array: %v", where, v)
			for i, x := range xs {
				check(fmt.Sprintf("%s[%d]", where, i), items, x)
			}
			return
		}
		props, ok := s["properties"].(map[string]any)
		if !ok {
			return
		}
		obj, ok := v.(map[string]any)
		require.True(e.t, ok, "%s: not an object: %v", where, v)
		for k := range obj {
			require.Contains(e.t, props, k, "%s has undocumented key %q", where, k)
		}
		if req, ok := s["required"].([]any); ok {
			for _, k := range req {
				require.Contains(e.t, obj, k, "%s lacks required key %q", where, k)
			}
		}
		for k, p := range props {
			if x, ok := obj[k]; ok && x != nil {
				check(where+"."+k, p.(map[string]any), x)
			}
		}
	}
	return func(name string, v any) {
		e.t.Helper()
		s, ok := schemas[name].(map[string]any)
		require.True(e.t, ok, "no schema %s", name)
		check(name, s, v)
	}
}

// openCycle opens 74-<next year> through the API as the Kepala Dinas
// provinsi, with cal and any extra fields, and returns the answer.
func (e *env) openCycle(cal domain.Calendar, extra ...any) response {
	e.t.Helper()
	body := with(map[string]any{"province_code": "74", "fiscal_year": e.cycle.FiscalYear, "calendar": calendarJSON(cal)}, extra...)
	r := e.as(kadisProv, http.MethodPost, "/api/v1/cycles", body)
	require.Equal(e.t, http.StatusCreated, r.Code, r.Body.String())
	e.cycle.Calendar = calendarOf(e.t, r.body)
	return r
}

// TestCycleCreate: POST /api/v1/cycles enforces the N-1 rule, the order of
// the dates and the shape of everything it takes, naming the field; only
// the Kepala Dinas of the province may open it; two concurrent openings of
// the same province and year give one cycle (one 201, one 409), and a retry
// with the winner's Idempotency-Key answers as the first did.
func TestCycleCreate(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{worker: true, people: true, cycleByAPI: true})
	e.addPerson(kadisSulsel)
	fy := e.cycle.FiscalYear
	cal := cycleCalendar(t, 0)
	good := map[string]any{"province_code": "74", "fiscal_year": fy, "calendar": calendarJSON(cal)}
	withDate := func(name string, at any) map[string]any {
		c := map[string]any{}
		for k, v := range calendarJSON(cal) {
			c[k] = v
		}
		if at == nil {
			delete(c, name)
		} else {
			c[name] = at
		}
		return with(good, "calendar", c)
	}
	nextYear := time.Date(fy, 1, 15, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	for _, c := range []struct {
		name  string
		body  any
		field string
	}{
		{"fiscal year two years ahead breaks N-1", with(good, "fiscal_year", fy+1), "fiscal_year"},
		{"fiscal year already running breaks N-1", with(good, "fiscal_year", fy-1), "fiscal_year"},
		{"no fiscal year", without(good, "fiscal_year"), "fiscal_year"},
		{"a date in year N", withDate("mapping_deadline", nextYear), "calendar.mapping_deadline"},
		{"Rakorda ends before it starts", withDate("rakorda_end", cal.RakordaStart.Add(-time.Minute).Format(time.RFC3339)), "calendar.rakorda_end"},
		{"a date missing", withDate("ministry_deadline", nil), "calendar.ministry_deadline"},
		{"a date unreadable", withDate("review_deadline", "2026-13-01"), "calendar.review_deadline"},
		{"no calendar", without(good, "calendar"), "calendar"},
		{"a kab/kota is not a province", with(good, "province_code", "74.05"), "province_code"},
		{"an unknown province", with(good, "province_code", "99"), "province_code"},
		{"a ceiling in another province", with(good, "ceilings", []any{map[string]any{"region_code": "73.01", "amount_idr": 1_000_000}}), "ceilings[0].region_code"},
		{"a ceiling of nothing", with(good, "ceilings", []any{map[string]any{"region_code": "74.05", "amount_idr": 0}}), "ceilings[0].amount_idr"},
		{"a ceiling named twice", with(good, "ceilings", []any{map[string]any{"region_code": "74.05", "amount_idr": 1}, map[string]any{"region_code": "74.05", "amount_idr": 2}}), "ceilings[1].region_code"},
		{"a target without keywords", with(good, "targets", []any{map[string]any{"code": "rat", "name": "RAT tepat waktu", "min": 10}}), "targets[0].keywords"},
		{"an unknown field", with(good, "colour", "merah"), "colour"},
	} {
		r := e.as(kadisProv, http.MethodPost, "/api/v1/cycles", c.body)
		require.Equal(t, http.StatusUnprocessableEntity, r.Code, "%s: %s", c.name, r.Body.String())
		requireField(t, r, c.field)
	}
	requireProblem(t, e.as(kadisProv, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID, nil), http.StatusNotFound)

	// Only the Kepala Dinas of that province opens it.
	for _, p := range []person{kadisKab, provPlanner, admin, liaison, kadisSulsel} {
		requireProblem(t, e.as(p, http.MethodPost, "/api/v1/cycles", good), http.StatusForbidden)
	}

	// Two openings at once: one cycle.
	keys := []string{"buka-74-a", "buka-74-b"}
	res := make([]response, 2)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i] = e.as(kadisProv, http.MethodPost, "/api/v1/cycles", good, header{"Idempotency-Key", keys[i]})
		}()
	}
	wg.Wait()
	codes := []int{res[0].Code, res[1].Code}
	slices.Sort(codes)
	require.Equal(t, []int{http.StatusCreated, http.StatusConflict}, codes, "%s\n%s", res[0].Body.String(), res[1].Body.String())
	win, lose := 0, 1
	if res[1].Code == http.StatusCreated {
		win, lose = 1, 0
	}
	created := res[win]
	require.Equal(t, e.cycle.ID, created.str("id"))
	require.Equal(t, "drafting", created.str("phase"))
	require.Equal(t, false, created.body["rakorda_open"])
	require.EqualValues(t, 1, created.body["version"])
	require.Equal(t, `"1"`, created.Header().Get("ETag"))
	require.Equal(t, "/api/v1/cycles/"+e.cycle.ID, created.Header().Get("Location"))
	require.Equal(t, calendarJSON(cal)["rakorda_start"], created.body["calendar"].(map[string]any)["rakorda_start"])
	require.Equal(t, kadisProv.username, created.str("created_by"))
	e.schemaCheck()("Cycle", created.body)

	// The retry of the winner answers as the first; anyone else is told the
	// cycle exists, naming the fields.
	again := e.as(kadisProv, http.MethodPost, "/api/v1/cycles", good, header{"Idempotency-Key", keys[win]})
	require.Equal(t, http.StatusCreated, again.Code, again.Body.String())
	require.EqualValues(t, 1, again.body["version"])
	for _, h := range [][]header{{{"Idempotency-Key", keys[lose]}}, nil} {
		r := e.as(kadisProv, http.MethodPost, "/api/v1/cycles", good, h...)
		requireProblem(t, r, http.StatusConflict)
		var fields []string
		for _, fe := range r.body["errors"].([]any) {
			fields = append(fields, fe.(map[string]any)["field"].(string))
		}
		require.Equal(t, []string{"province_code", "fiscal_year"}, fields)
	}
	events := e.as(kadisProv, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID+"/events", nil)
	require.Equal(t, http.StatusOK, events.Code, events.Body.String())
	require.Len(t, items(events), 1, "one creation recorded")
	ev := items(events)[0].(map[string]any)
	require.Equal(t, "create", ev["action"])
	require.Equal(t, kadisProv.username, ev["actor"].(map[string]any)["username"])
	require.NotContains(t, ev, "origin", "the workflow's run id stays inside")
}

// TestCycleAccess is the table of who may do what on a cycle: every
// endpoint for every role of docs/ARCHITECTURE.md, Kota Kendari's staff and another
// province's Kepala Dinas (404: the cycle is not theirs to see). Requests a
// caller is allowed to make carry invalid input or come too early, so they
// are answered without changing anything (422/428/409) and the table shows
// only the authorization.
func TestCycleAccess(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{worker: true, people: true, cycleByAPI: true})
	e.addPerson(kadisSulsel)
	e.openCycle(cycleCalendar(t, 0))
	base := "/api/v1/cycles/" + e.cycle.ID
	people := append(append([]person{}, everyone...), kadisSulsel)
	// want lists the status of each person in people's order: everyone's
	// (kecPlanner, camat, kabPlanner, reviewer, kadisKab, provPlanner,
	// kadisProv, liaison, admin, kendariPlan, kendariKec), then kadisSulsel.
	rows := []struct {
		method, path string
		body         any
		want         [12]int
	}{
		{"GET", base, nil, [12]int{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404}},
		{"PATCH", base, map[string]any{}, [12]int{403, 403, 403, 403, 403, 403, 428, 403, 403, 403, 403, 404}},
		{"PUT", base + "/ceilings", map[string]any{"ceilings": []any{map[string]any{"region_code": "73.01", "amount_idr": 1}}},
			[12]int{403, 403, 403, 403, 403, 403, 422, 403, 403, 403, 403, 404}},
		{"PUT", base + "/targets", map[string]any{"targets": []any{map[string]any{}}}, [12]int{403, 403, 403, 403, 403, 403, 422, 403, 403, 403, 403, 404}},
		{"POST", base + "/actions/lock", nil, [12]int{403, 403, 403, 403, 403, 403, 409, 403, 403, 403, 403, 404}},
		// Issue 23: lock progress for who locks or follows it for the
		// ministry; the cycle's trail for the dinas of the province, not
		// for kecamatan users (policy.csv, decision 15).
		{"GET", base + "/lock", nil, [12]int{403, 403, 403, 403, 403, 200, 200, 200, 200, 403, 403, 404}},
		{"GET", base + "/events", nil, [12]int{403, 403, 200, 200, 200, 200, 200, 200, 200, 200, 403, 404}},
		{"GET", base + "/rakorda", nil, [12]int{403, 403, 200, 200, 200, 200, 200, 200, 403, 200, 403, 404}},
		{"GET", base + "/rakorda/minutes.pdf", nil, [12]int{403, 403, 200, 200, 200, 200, 200, 200, 403, 200, 403, 404}},
		{"PUT", base + "/rakorda/agreements", map[string]any{"agreements": []string{" "}}, [12]int{403, 403, 403, 403, 403, 422, 422, 403, 403, 403, 403, 404}},
		{"PUT", base + "/rakorda/attendance", map[string]any{"attendance": []any{map[string]any{"name": ""}}}, [12]int{403, 403, 403, 403, 403, 422, 422, 403, 403, 403, 403, 404}},
		{"GET", base + "/consolidation", nil, [12]int{403, 403, 403, 403, 403, 200, 200, 200, 403, 403, 403, 404}},
		{"GET", base + "/bumdes", nil, [12]int{403, 403, 200, 403, 403, 200, 200, 200, 200, 200, 403, 404}},
		{"POST", base + "/bumdes", map[string]any{"region_code": "74.05.03.2001", "name": "BUMDes Andoolo Jaya", "business": "Pengolahan kopi bubuk", "keywords": []string{"kopi"}},
			[12]int{403, 403, 201, 403, 403, 201, 403, 403, 201, 403, 403, 404}},
	}
	for _, row := range rows {
		for i, p := range people {
			r := e.as(p, row.method, row.path, row.body)
			require.Equal(t, row.want[i], r.Code, "%s %s as %s: %s", row.method, row.path, p.username, r.Body.String())
			if r.Code >= 400 {
				requireProblem(t, r, r.Code)
			}
		}
	}

	// The list shows each caller the cycles of the provinces they work in.
	for _, c := range []struct {
		p    person
		want []string
	}{
		{kecPlanner, []string{e.cycle.ID}},
		{kadisSulsel, []string{domain.CycleID("73", e.cycle.FiscalYear)}},
		{liaison, []string{domain.CycleID("73", e.cycle.FiscalYear), e.cycle.ID}},
	} {
		got := ids(items(e.as(c.p, http.MethodGet, "/api/v1/cycles", nil)), "id")
		slices.Sort(got)
		require.Equal(t, c.want, got, c.p.username)
	}
	// A kab/kota planner lists the BUMDes of its own kab/kota only.
	require.Len(t, items(e.as(kabPlanner, http.MethodGet, base+"/bumdes", nil)), 3)
	require.Empty(t, items(e.as(kendariPlan, http.MethodGet, base+"/bumdes", nil)))
}

// TestCycleRakordaConsolidationLock is issue 6 through the HTTP API, on both
// databases: a Sulawesi Tenggara cycle with a ceiling and a target, four
// proposals from two kab/kota taken to Rakorda, the dates moved (with the
// proposals' due dates following and a stale If-Match refused), the agenda
// with its totals, accept/defer/reject, agreements and attendance, the
// minutes PDF listing every decision, consolidation refused over the ceiling
// with the figures, the view's duplicate and BUMDes warnings and target
// sums, and the lock refused while a proposal is unconsolidated, then taken
// once although asked for twice at the same moment.
func TestCycleRakordaConsolidationLock(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{worker: true, people: true, cycleByAPI: true})
		e.addPerson(camatKendari)
		e.addPerson(kabidKendari)
		check := e.schemaCheck()
		base := "/api/v1/cycles/" + e.cycle.ID

		// The cycle: Konawe Selatan may receive Rp150 juta; the province
		// wants at least 50 more trained UMKM actors.
		created := e.openCycle(cycleCalendar(t, 0),
			"ceilings", []any{map[string]any{"region_code": "74.05", "amount_idr": 150_000_000}},
			"targets", []any{map[string]any{"code": "umkm-terlatih", "name": "Pelaku UMKM terlatih", "keywords": []string{"terlatih"}, "unit": "orang", "min": 50}})
		require.Equal(t, []any{map[string]any{"region_code": "74.05", "amount_idr": float64(150_000_000)}}, created.body["ceilings"])
		require.Len(t, created.body["targets"], 1)

		// Four proposals: two alike in Andoolo, a bazar there, one in Kendari.
		draft := func(p person, region, title, category string, amount int64) string {
			t.Helper()
			body := with(goodDraft(e.cycle.ID), "region_code", region, "title", title, "category", category, "amount_idr", amount,
				"description", title+" bagi pelaku usaha setempat.")
			r := e.as(p, http.MethodPost, "/api/v1/proposals", body)
			require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
			return r.str("id")
		}
		a := draft(kecPlanner, "74.05.03", "Pelatihan pengemasan produk UMKM", "pelatihan", 125_000_000)
		b := draft(kecPlanner, "74.05.03", "Pelatihan kemasan produk bagi UMKM Desa Andoolo", "pelatihan", 90_000_000)
		c := draft(kecPlanner, "74.05.03", "Bazar produk unggulan kecamatan", "bazar", 40_000_000)
		d := draft(kendariKec, "74.71.01", "Sarana display produk UMKM Mandonga", "sarana_prasarana", 75_000_000)

		// The submission deadline moves a little later: a PATCH without
		// If-Match or with a stale one changes nothing; the right one moves
		// it, and the drafts' due dates follow.
		cur := e.as(kadisProv, http.MethodGet, base, nil)
		require.Equal(t, http.StatusOK, cur.Code)
		check("Cycle", cur.body)
		cal := e.cycle.Calendar
		later := cal.SubmissionDeadline.Add(cal.ReviewDeadline.Sub(cal.SubmissionDeadline) / 2).Truncate(time.Second)
		move := map[string]any{"calendar": map[string]string{"submission_deadline": later.Format(time.RFC3339)}}
		requireProblem(t, e.as(kadisProv, http.MethodPatch, base, move), http.StatusPreconditionRequired)
		requireProblem(t, e.as(kadisProv, http.MethodPatch, base, move, header{"If-Match", `"1x"`}), http.StatusPreconditionFailed)
		requireProblem(t, e.as(kadisKab, http.MethodPatch, base, move, header{"If-Match", cur.Header().Get("ETag")}), http.StatusForbidden)
		requireField(t, e.as(kadisProv, http.MethodPatch, base, map[string]any{"calendar": map[string]string{"submission_deadline": e.cycle.Calendar.RakordaStart.Add(time.Hour).Format(time.RFC3339)}},
			header{"If-Match", cur.Header().Get("ETag")}), "calendar.review_deadline")
		cal = e.moveCycle(e.token(kadisProv), map[string]time.Time{"submission_deadline": later})
		requireProblem(t, e.as(kadisProv, http.MethodPatch, base, move, header{"If-Match", cur.Header().Get("ETag")}), http.StatusPreconditionFailed)
		for _, id := range []string{a, b, c, d} {
			e.awaitDue(id, cal)
		}
		require.Equal(t, later.Format(time.RFC3339), e.as(kecPlanner, http.MethodGet, "/api/v1/proposals/"+a, nil).str("due_at"))

		// Submitted and approved by each kab/kota.
		toRakorda := func(id string, submitter, approver person) {
			t.Helper()
			for _, step := range []struct {
				p      person
				action string
			}{{submitter, "submit"}, {approver, "approve"}} {
				r := e.as(step.p, http.MethodPost, "/api/v1/proposals/"+id+"/actions/"+step.action, nil)
				require.Equal(t, http.StatusOK, r.Code, "%s %s: %s", step.action, id, r.Body.String())
			}
		}
		for _, id := range []string{a, b, c} {
			toRakorda(id, camat, reviewer)
		}
		toRakorda(d, camatKendari, kabidKendari)

		// The agenda before the session: grouped by kab/kota with totals,
		// nothing can be decided yet, nothing recorded.
		ag := e.as(kadisKab, http.MethodGet, base+"/rakorda", nil)
		require.Equal(t, http.StatusOK, ag.Code, ag.Body.String())
		check("RakordaView", ag.body)
		require.Equal(t, false, ag.body["open"])
		type group struct {
			code  string
			ids   []string
			total float64
		}
		groups := func(r response) []group {
			var out []group
			for _, g := range r.body["groups"].([]any) {
				gm := g.(map[string]any)
				out = append(out, group{gm["kabkota_code"].(string), ids(gm["proposals"].([]any), "id"), gm["total_idr"].(float64)})
				require.EqualValues(t, len(out[len(out)-1].ids), gm["count"])
			}
			return out
		}
		andoolo := []string{a, b, c}
		slices.Sort(andoolo)
		require.Equal(t, []group{{"74.05", andoolo, 255_000_000}, {"74.71", []string{d}, 75_000_000}}, groups(ag))
		require.EqualValues(t, 4, ag.body["count"])
		require.EqualValues(t, 330_000_000, ag.body["total_idr"])
		require.Equal(t, "Kabupaten Konawe Selatan", ag.body["groups"].([]any)[0].(map[string]any)["kabkota_name"])
		requireProblem(t, e.as(kadisProv, http.MethodPost, "/api/v1/proposals/"+a+"/actions/accept", nil), http.StatusConflict)
		requireProblem(t, e.as(kadisProv, http.MethodPut, base+"/rakorda/agreements", map[string]any{"agreements": []string{"Terlalu dini"}}), http.StatusConflict)

		// The session opens: the Kepala Dinas provinsi sees what he can decide.
		open := cycleCalendar(t, 3)
		cal = e.moveCycle(e.token(kadisProv), map[string]time.Time{
			"submission_deadline": open.SubmissionDeadline, "review_deadline": open.ReviewDeadline,
			"rakorda_start": open.RakordaStart, "rakorda_end": open.RakordaEnd,
		})
		for _, id := range []string{a, b, c, d} {
			e.awaitDue(id, cal)
		}
		ag = e.as(kadisProv, http.MethodGet, base+"/rakorda", nil)
		require.Equal(t, true, ag.body["open"])
		require.Equal(t, "rakorda", ag.body["phase"])
		for _, g := range ag.body["groups"].([]any) {
			for _, p := range g.(map[string]any)["proposals"].([]any) {
				require.Equal(t, "accept,defer,reject", fmtActions(p.(map[string]any)["allowed_actions"].([]any)))
			}
		}
		decide := func(id, action, comment string) {
			t.Helper()
			r := e.as(kadisProv, http.MethodPost, "/api/v1/proposals/"+id+"/actions/"+action, map[string]any{"comment": comment})
			require.Equal(t, http.StatusOK, r.Code, "%s %s: %s", action, id, r.Body.String())
		}
		decide(a, "accept", "")
		decide(b, "accept", "")
		decide(c, "defer", "Menunggu data koperasi aktif kecamatan")
		decide(d, "reject", "Sudah dibiayai APBN tahun berjalan")
		ag = e.as(kadisKab, http.MethodGet, base+"/rakorda", nil)
		check("RakordaView", ag.body)
		require.Empty(t, ag.body["groups"])
		decided := map[string]string{}
		for _, x := range ag.body["decisions"].([]any) {
			dm := x.(map[string]any)
			decided[dm["proposal_id"].(string)] = dm["decision"].(string)
		}
		require.Equal(t, map[string]string{a: "accept", b: "accept", c: "defer", d: "reject"}, decided)

		// The berita acara's content: the secretariat records the
		// agreements, the chair the attendance; a stale version is refused.
		agreements := []string{
			"Kab/kota menyampaikan data koperasi aktif paling lambat akhir bulan.",
			"Pelatihan pengemasan diselaraskan dengan kurasi produk provinsi.",
			"Usulan yang ditunda dibahas kembali pada Rakorda berikutnya.",
		}
		r := e.as(provPlanner, http.MethodPut, base+"/rakorda/agreements", map[string]any{"agreements": agreements})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		check("Cycle", r.body)
		require.Equal(t, map[string]any{"number": float64(3), "text": agreements[2]}, r.body["agreements"].([]any)[2])
		stale := header{"If-Match", etag(int64(r.body["version"].(float64)) - 1)}
		requireProblem(t, e.as(provPlanner, http.MethodPut, base+"/rakorda/agreements", map[string]any{"agreements": agreements[:1]}, stale), http.StatusPreconditionFailed)
		attendance := []map[string]any{
			{"name": "Dr. Hj. Siti Aminah, M.Si.", "position": "Kepala Dinas", "institution": "Dinas Koperasi dan UKM Provinsi Sulawesi Tenggara"},
			{"name": "La Ode Rahman", "position": "Kepala Dinas", "institution": "Dinas Koperasi dan UKM Kabupaten Konawe Selatan", "region_code": "74.05"},
		}
		r = e.as(kadisProv, http.MethodPut, base+"/rakorda/attendance", map[string]any{"attendance": attendance})
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Len(t, r.body["attendance"], 2)
		requireField(t, e.as(kadisProv, http.MethodPut, base+"/rakorda/attendance", map[string]any{"attendance": []any{map[string]any{"name": "X", "number": 9}}}), "number")

		// The minutes list every decision, every agreement and who came.
		pdf := e.as(kadisKab, http.MethodGet, base+"/rakorda/minutes.pdf", nil)
		require.Equal(t, http.StatusOK, pdf.Code, pdf.Body.String())
		require.Equal(t, "application/pdf", pdf.Header().Get("Content-Type"))
		require.Equal(t, `attachment; filename="`+minutes.Filename(e.cycle.ID)+`"`, pdf.Header().Get("Content-Disposition"))
		lines, err := minutes.Text(pdf.Body.Bytes())
		require.NoError(t, err)
		labels := []string{minutes.DecisionLabel(domain.ActionAccept), minutes.DecisionLabel(domain.ActionDefer), minutes.DecisionLabel(domain.ActionReject)}
		for id, decision := range decided {
			at := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, id) })
			require.GreaterOrEqual(t, at, 0, "%s is not in the minutes", id)
			next := slices.IndexFunc(lines[at:], func(l string) bool { return slices.Contains(labels, strings.TrimSpace(l)) })
			require.GreaterOrEqual(t, next, 0)
			require.Equal(t, minutes.DecisionLabel(domain.Action(decision)), strings.TrimSpace(lines[at+next]), id)
		}
		// Cells wrap where they like: compare the words, not the lines.
		text := strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
		for _, want := range append(append([]string{}, agreements...), "Menunggu data koperasi aktif kecamatan", "Sudah dibiayai APBN tahun berjalan", "La Ode Rahman") {
			require.Contains(t, text, want)
		}

		// Consolidation: Konawe Selatan's ceiling takes A's Rp100 juta, not
		// B's Rp60 juta on top; the refusal says by how much.
		consolidate := func(id string, priority int, amount int64) response {
			t.Helper()
			return e.as(provPlanner, http.MethodPost, "/api/v1/proposals/"+id+"/actions/consolidate",
				map[string]any{"priority": priority, "consolidated_amount_idr": amount, "funding_source": "apbd_provinsi"})
		}
		r = consolidate(a, 1, 100_000_000)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		r = consolidate(b, 2, 60_000_000)
		requireField(t, r, "consolidated_amount_idr")
		for _, figure := range []string{"pagu Rp 150.000.000", "terpakai Rp 100.000.000", "sisa Rp 50.000.000"} {
			require.Contains(t, r.str("detail"), figure)
		}
		require.Equal(t, false, e.as(provPlanner, http.MethodGet, "/api/v1/proposals/"+b, nil).body["consolidated"])

		// A BUMDes in Andoolo already sells packaging services.
		bd := e.as(kabPlanner, http.MethodPost, base+"/bumdes", map[string]any{
			"region_code": "74.05.03.2001", "name": "BUMDes Andoolo Sejahtera", "business": "Jasa pengemasan produk", "keywords": []string{"pengemasan"},
		}, header{"Idempotency-Key", "bumdes-andoolo-1"})
		require.Equal(t, http.StatusCreated, bd.Code, bd.Body.String())
		check("BUMDes", bd.body)
		again := e.as(kabPlanner, http.MethodPost, base+"/bumdes", map[string]any{
			"region_code": "74.05.03.2001", "name": "BUMDes Andoolo Sejahtera", "business": "Jasa pengemasan produk", "keywords": []string{"pengemasan"},
		}, header{"Idempotency-Key", "bumdes-andoolo-1"})
		require.Equal(t, bd.str("id"), again.str("id"), "a retry records the same business")
		list := e.as(provPlanner, http.MethodGet, base+"/bumdes", nil)
		check("BUMDesList", list.body)
		require.Equal(t, []string{bd.str("id")}, ids(items(list), "id"))
		requireField(t, e.as(kabPlanner, http.MethodPost, base+"/bumdes", map[string]any{
			"region_code": "74.05.03", "name": "BUMDes", "business": "Kopi", "keywords": []string{"kopi"}}), "region_code")

		// The view: ranked rows with warnings, the ceiling's consumption,
		// the target's sum.
		view := e.as(provPlanner, http.MethodGet, base+"/consolidation", nil)
		require.Equal(t, http.StatusOK, view.Code, view.Body.String())
		check("ConsolidationView", view.body)
		rows := map[string]map[string]any{}
		var order []string
		for _, x := range view.body["rows"].([]any) {
			row := x.(map[string]any)
			id := row["proposal"].(map[string]any)["id"].(string)
			rows[id] = row
			order = append(order, id)
		}
		require.Equal(t, []string{a, b}, order, "ranked first, then unranked; deferred and rejected are not consolidated")
		warnings := func(id string) []string {
			var out []string
			for _, w := range rows[id]["warnings"].([]any) {
				wm := w.(map[string]any)
				out = append(out, fmt.Sprintf("%s:%v%v", wm["kind"], wm["proposal_id"], wm["bumdes_id"]))
			}
			slices.Sort(out)
			return out
		}
		require.Equal(t, []string{"bumdes:<nil>" + bd.str("id"), "duplicate:" + b + "<nil>"}, warnings(a))
		require.Equal(t, []string{"duplicate:" + a + "<nil>"}, warnings(b), "B says kemasan, not the BUMDes's pengemasan")
		require.Equal(t, "consolidate", fmtActions(rows[b]["proposal"].(map[string]any)["allowed_actions"].([]any)))
		require.Equal(t, []any{map[string]any{
			"region_code": "74.05", "region_name": "Kabupaten Konawe Selatan", "ceiling_idr": float64(150_000_000),
			"consumed_idr": float64(100_000_000), "remaining_idr": float64(50_000_000), "proposed_idr": float64(215_000_000),
			"count": float64(2), "consolidated_count": float64(1),
		}}, view.body["ceilings"])
		target := view.body["targets"].([]any)[0].(map[string]any)
		require.EqualValues(t, 60, target["achieved"], "30 + 30 orang trained in A and B")
		require.Equal(t, store.TargetMet, target["status"])
		require.EqualValues(t, 1, view.body["unconsolidated"])

		// The lock: refused while Rakorda is open, then while B is not
		// consolidated (naming B and only B), then taken once although
		// asked for twice at the same moment.
		lock := base + "/actions/lock"
		requireProblem(t, e.as(kadisProv, http.MethodPost, lock, nil), http.StatusConflict)
		e.moveCycle(e.token(kadisProv), map[string]time.Time{"rakorda_end": time.Now().UTC().Truncate(time.Second).Add(-time.Second)})
		r = e.as(kadisProv, http.MethodPost, lock, nil)
		requireProblem(t, r, http.StatusConflict)
		require.Equal(t, []any{"proposals." + b}, func() []any {
			var f []any
			for _, fe := range r.body["errors"].([]any) {
				f = append(f, fe.(map[string]any)["field"])
			}
			return f
		}())
		r = consolidate(b, 2, 50_000_000)
		require.Equal(t, http.StatusOK, r.Code, "B fits exactly: %s", r.Body.String())
		var wg sync.WaitGroup
		locks := make([]response, 2)
		for i := range locks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				locks[i] = e.as(kadisProv, http.MethodPost, lock, map[string]any{"comment": "Daftar konsolidasi final"})
			}()
		}
		wg.Wait()
		codes := []int{locks[0].Code, locks[1].Code}
		slices.Sort(codes)
		require.Equal(t, []int{http.StatusOK, http.StatusConflict}, codes, "%s\n%s", locks[0].Body.String(), locks[1].Body.String())
		won := locks[0]
		if won.Code != http.StatusOK {
			won = locks[1]
		}
		check("LockResult", won.body)
		require.EqualValues(t, 2, won.body["moved"])
		require.Equal(t, true, won.body["cycle"].(map[string]any)["locked"])
		require.Equal(t, kadisProv.username, won.body["cycle"].(map[string]any)["locked_by"])
		progress := e.as(provPlanner, http.MethodGet, base+"/lock", nil)
		check("LockProgress", progress.body)
		require.EqualValues(t, 1, progress.body["attempt"])
		require.Equal(t, false, progress.body["running"])
		require.EqualValues(t, 2, progress.body["moved"])
		for _, id := range []string{a, b} {
			require.Equal(t, "ministry", e.as(liaison, http.MethodGet, "/api/v1/proposals/"+id, nil).str("stage"))
		}
		view = e.as(liaison, http.MethodGet, base+"/consolidation", nil)
		require.Equal(t, true, view.body["locked"])
		requireProblem(t, e.as(provPlanner, http.MethodPut, base+"/rakorda/agreements", map[string]any{"agreements": agreements}), http.StatusConflict)
		requireProblem(t, e.as(kadisProv, http.MethodPut, base+"/ceilings", map[string]any{"ceilings": []any{}}), http.StatusConflict)

		// The cycle's trail: every change, by whom, oldest first.
		events := e.as(kadisKab, http.MethodGet, base+"/events", nil)
		check("CycleEventList", events.body)
		var trail []string
		for _, x := range items(events) {
			ev := x.(map[string]any)
			trail = append(trail, fmt.Sprintf("%s:%s", ev["action"], ev["actor"].(map[string]any)["username"]))
		}
		require.Equal(t, []string{
			"create:kadis.sultra", "move_calendar:kadis.sultra", "move_calendar:kadis.sultra",
			"record_agreements:perencana.sultra", "record_attendance:kadis.sultra", "move_calendar:kadis.sultra", "lock:kadis.sultra",
		}, trail)
		list = e.as(kecPlanner, http.MethodGet, "/api/v1/cycles", nil)
		check("CycleList", list.body)
		detail := items(list)[0].(map[string]any)
		require.Equal(t, true, detail["locked"])
		require.Len(t, detail["agreements"], 3)
	})
}

func etag(v int64) string { return fmt.Sprintf(`"%d"`, v) }

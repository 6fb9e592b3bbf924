package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/api"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/sipd"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/workflows"
)

// designHeader is the consolidated list's CSV header copied from docs/ARCHITECTURE.md
// ("The consolidated list"), on purpose not taken from the code.
const designHeader = "no,kode_provinsi,provinsi,kode_kabkota,kabkota,kode_kecamatan,kecamatan,proposal_id,judul,kategori,kode_sub_kegiatan,sub_kegiatan,indikator,target,satuan,pagu_usulan,pagu_konsolidasi,sumber_dana,prioritas,tahapan,keputusan_rakorda"

// labelColumns follow DESIGN.md's columns in both formats: the Indonesian
// labels of kategori, sumber_dana and tahapan for people (issue 22).
const labelColumns = ",nama_kategori,nama_sumber_dana,nama_tahapan,koperasi_penerima,nomor_usulan,asal_usulan,nama_asal_usulan,lokasi,jumlah_rab"

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// listStages are the stages of docs/ARCHITECTURE.md's consolidated list: every
// proposal that reached consolidation or later.
var listStages = []string{"consolidation", "ministry", "sipd_mapping", "final", "declined"}

// uniqueID makes proposal ids that no other test (or the other database's
// run of the same test) uses on the shared Temporal server.
func uniqueID(name string) string {
	return fmt.Sprintf("usl-%s-%x", name, time.Now().UnixNano())
}

// listRow is a proposal of the consolidated list: consolidated (unless in
// consolidation and told otherwise) with a priority and an amount.
func listRow(id, cycleID, region string, stage domain.Stage, amount, consolidated int64, priority int) domain.Proposal {
	p := sampleRow(id, cycleID, region, stage)
	p.AmountIDR, p.ConsolidatedAmountIDR, p.Priority, p.Consolidated = amount, consolidated, priority, consolidated > 0
	p.FundingSource, p.SubmittedBy = "apbd_provinsi", camat.username
	return p
}

// startProposal projects p and starts its workflow in that state, the way
// a proposal stands after the earlier stages (they are tested elsewhere):
// the API then acts on a real workflow.
func (e *env) startProposal(p domain.Proposal) {
	e.t.Helper()
	cy, err := e.db.GetCycle(e.ctx, p.CycleID)
	require.NoError(e.t, err)
	now := time.Now().UTC().Truncate(time.Millisecond)
	if p.Indicators == nil {
		p.Indicators = []domain.Indicator{}
	}
	p.Version, p.CreatedAt, p.UpdatedAt, p.DueAt = 1, now, now, workflows.DueAt(p.Stage, cy.Calendar)
	ok, err := e.db.RecordTransition(e.ctx, p, domain.ProposalEvent{ProposalID: p.ID, Seq: 1, Action: "create", ToStage: p.Stage,
		Actor: domain.Actor{Username: p.CreatedBy, Role: domain.RolePerencanaKecamatan, Scope: p.RegionCode}, At: now})
	require.NoError(e.t, err)
	require.True(e.t, ok)
	st := workflows.ProposalState{Proposal: p, Calendar: cy.Calendar, Seq: 1, Created: true}
	_, err = e.tc.ExecuteWorkflow(e.ctx, client.StartWorkflowOptions{ID: workflows.ProposalWorkflowID(p.ID), TaskQueue: workflows.TaskQueue},
		workflows.ProposalWorkflowName, workflows.ProposalInput{ProposalID: p.ID, CycleID: p.CycleID, Calendar: cy.Calendar, State: &st})
	require.NoError(e.t, err)
	e.mu.Lock()
	e.made = append(e.made, p.ID)
	e.mu.Unlock()
}

// dbTotals is what the database says the list of a scope holds.
type dbTotals struct {
	N            int64
	Amount       int64
	Consolidated int64
}

func (e *env) listTotals(where string, arg any) dbTotals {
	e.t.Helper()
	var t dbTotals
	require.NoError(e.t, e.db.ScanSQL(context.Background(), &t, `SELECT COUNT(*) AS n, COALESCE(SUM(p.amount_idr), 0) AS amount,
		COALESCE(SUM(p.consolidated_amount_idr), 0) AS consolidated
		FROM proposals p JOIN cycles c ON c.id = p.cycle_id WHERE p.stage IN ? AND `+where, listStages, arg))
	return t
}

// download is a GET of a file: status 200, the media type and the
// attachment's file name checked.
func (e *env) download(p person, path, mediaType, filename string) []byte {
	e.t.Helper()
	r := e.as(p, http.MethodGet, path, nil)
	require.Equal(e.t, http.StatusOK, r.Code, r.Body.String())
	mt, _, err := mime.ParseMediaType(r.Header().Get("Content-Type"))
	require.NoError(e.t, err)
	require.Equal(e.t, mediaType, mt)
	disp, params, err := mime.ParseMediaType(r.Header().Get("Content-Disposition"))
	require.NoError(e.t, err)
	require.Equal(e.t, "attachment", disp)
	require.Equal(e.t, filename, params["filename"])
	return r.Body.Bytes()
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, "%q is not a whole number of rupiah", s)
	return n
}

// TestConsolidatedExportTotals is the done-when "the exported totals equal
// the database's": both files are downloaded through HTTP for one cycle
// and for a fiscal year across provinces; the XLSX is read back with
// excelize and its grand total, province totals and row count must equal
// SUM(amount_idr) and SUM(consolidated_amount_idr) over the list's stages
// in the database, to the rupiah; the CSV starts with docs/ARCHITECTURE.md's header
// and its columns sum to the same.
func TestConsolidatedExportTotals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		fy := e.cycle.FiscalYear
		c74, c73 := e.cycle.ID, domain.CycleID("73", fy)
		later := domain.CycleID("74", fy+1)
		require.NoError(t, db.SaveCycle(e.ctx, domain.Cycle{ID: later, ProvinceCode: "74", FiscalYear: fy + 1, Calendar: openCalendar(), CreatedBy: kadisProv.username}))
		// Amounts with every digit used, several near the Rp1 triliun
		// bound, so a float or a lost row shows.
		for i, r := range []domain.Proposal{
			listRow("t-kec-1", c74, "74.05.03", domain.StageMinistry, 125_000_001, 123_456_789, 1),
			listRow("t-kec-2", c74, "74.05.04", domain.StageFinal, 999_999_999_999, 987_654_321_987, 2),
			listRow("t-kab-1", c74, "74.05", domain.StageSIPDMapping, 75_000_003, 70_000_007, 3),
			listRow("t-kab-dec", c74, "74.05", domain.StageDeclined, 40_000_000, 39_999_999, 4),
			listRow("t-kdi-1", c74, "74.71.01", domain.StageConsolidation, 61_111_111, 60_000_001, 1),
			listRow("t-kdi-open", c74, "74.71", domain.StageConsolidation, 33_333_333, 0, 0), // not consolidated yet
			listRow("t-prov-1", c74, "74", domain.StageMinistry, 500_000_000_001, 499_999_999_999, 1),
			listRow("t-sel-1", c73, "73.01.01", domain.StageMinistry, 88_888_888, 77_777_777, 1),
			listRow("t-sel-2", c73, "73.01", domain.StageFinal, 999_999_999_998, 999_999_999_997, 2),
			// Not on the list: before consolidation, or another year.
			listRow("t-rakorda", c74, "74.05.03", domain.StageRakorda, 10_000_000, 0, 0),
			listRow("t-draft", c73, "73.01.01", domain.StageDraft, 20_000_000, 0, 0),
			listRow("t-rejected", c74, "74.05", domain.StageRejected, 30_000_000, 0, 0),
			listRow("t-next-year", later, "74.05", domain.StageMinistry, 50_000_000, 45_000_000, 1),
		} {
			r.SIPDCode = []string{"2.17.07.2.01.0003", "", "2.17.05.2.01.0001"}[i%3]
			e.insertProposal(r)
		}
		national := e.listTotals("c.fiscal_year = ?", fy)
		cycle := e.listTotals("p.cycle_id = ?", c74)
		require.EqualValues(t, 9, national.N)
		require.EqualValues(t, 7, cycle.N)

		// XLSX of the fiscal year, by the ministry liaison.
		xlsx := e.download(liaison, fmt.Sprintf("/api/v1/exports/consolidated?fiscal_year=%d&format=xlsx", fy), xlsxType,
			fmt.Sprintf("konsolidasi_semua_provinsi_%d.xlsx", fy))
		f, err := excelize.OpenReader(bytes.NewReader(xlsx))
		require.NoError(t, err)
		defer f.Close()
		require.Equal(t, []string{"73 Sulawesi Selatan", "74 Sulawesi Tenggara", "Rekapitulasi"}, f.GetSheetList())
		summary, err := f.GetRows("Rekapitulasi", excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		grand := summary[len(summary)-1]
		require.Equal(t, "Total Keseluruhan", grand[1])
		require.Equal(t, national.N, mustInt(t, grand[2]))
		require.Equal(t, national.Amount, mustInt(t, grand[3]), "pagu_usulan to the rupiah")
		require.Equal(t, national.Consolidated, mustInt(t, grand[4]), "pagu_konsolidasi to the rupiah")
		for _, prov := range summary[1 : len(summary)-1] {
			want := e.listTotals("c.fiscal_year = ? AND c.province_code = '"+prov[0]+"'", fy)
			require.Equal(t, want.Consolidated, mustInt(t, prov[4]), "province %s", prov[0])
			require.Equal(t, want.Amount, mustInt(t, prov[3]), "province %s", prov[0])
		}
		// The province sheet's own rows add up to its total row too.
		rows, err := f.GetRows("74 Sulawesi Tenggara", excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		require.Equal(t, designHeader+labelColumns, strings.Join(rows[0], ","))
		var sum, n int64
		for _, row := range rows[1 : len(rows)-1] {
			if len(row) > 7 && row[7] != "" { // a proposal, not a subtotal
				n++
				if len(row) > 16 && row[16] != "" {
					sum += mustInt(t, row[16])
				}
			}
		}
		last := rows[len(rows)-1]
		require.Equal(t, cycle.N, n)
		require.Equal(t, cycle.Consolidated, sum)
		require.Equal(t, cycle.Consolidated, mustInt(t, last[16]))

		// XLSX of one cycle, by the provincial planner: one province sheet.
		xlsx = e.download(provPlanner, "/api/v1/exports/consolidated?format=xlsx&cycle_id="+c74, xlsxType,
			fmt.Sprintf("konsolidasi_74_sulawesi_tenggara_%d.xlsx", fy))
		f2, err := excelize.OpenReader(bytes.NewReader(xlsx))
		require.NoError(t, err)
		defer f2.Close()
		require.Equal(t, []string{"74 Sulawesi Tenggara", "Rekapitulasi"}, f2.GetSheetList())
		summary, err = f2.GetRows("Rekapitulasi", excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		grand = summary[len(summary)-1]
		require.Equal(t, cycle.N, mustInt(t, grand[2]))
		require.Equal(t, cycle.Amount, mustInt(t, grand[3]))
		require.Equal(t, cycle.Consolidated, mustInt(t, grand[4]))

		// CSV (the default format) of the fiscal year: docs/ARCHITECTURE.md's header,
		// one line per proposal, the same sums.
		raw := e.download(liaison, fmt.Sprintf("/api/v1/exports/consolidated?fiscal_year=%d", fy), "text/csv",
			fmt.Sprintf("konsolidasi_semua_provinsi_%d.csv", fy))
		header, _, _ := bytes.Cut(raw, []byte("\n"))
		require.Equal(t, designHeader+labelColumns, strings.TrimRight(string(header), "\r"))
		recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
		require.NoError(t, err)
		require.EqualValues(t, national.N, len(recs)-1)
		var amount, consolidated int64
		var got []string
		for _, rec := range recs[1:] {
			amount += mustInt(t, rec[15])
			if rec[16] != "" {
				consolidated += mustInt(t, rec[16])
			}
			got = append(got, rec[7])
		}
		require.Equal(t, national.Amount, amount)
		require.Equal(t, national.Consolidated, consolidated)
		require.NotContains(t, got, "t-next-year")
		require.NotContains(t, got, "t-rakorda")
	})
}

// countingWriter records how the handler wrote its body.
type countingWriter struct {
	*httptest.ResponseRecorder
	writes, largest int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.largest = max(w.largest, len(p))
	return w.ResponseRecorder.Write(p)
}

// TestExportIsStreamed: a list of some hundred kilobytes reaches the
// response in many small writes, none larger than the writer's 64 KiB
// buffer, so the file is never assembled in memory first. (Flat memory at
// 100,000 rows is internal/export's benchmark.)
func TestExportIsStreamed(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	for i := range 1500 {
		r := listRow(fmt.Sprintf("s-%04d", i), e.cycle.ID, "74.05.03", domain.StageMinistry, 100_000_000, 90_000_000, i+1)
		r.Title = strings.Repeat("Pelatihan pengemasan produk UMKM ", 5) + strconv.Itoa(i)
		e.insertProposal(r)
	}
	for _, format := range []string{"csv", "xlsx"} {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/exports/consolidated?format="+format+"&cycle_id="+e.cycle.ID, nil)
		req.Header.Set("Authorization", "Bearer "+e.token(kadisProv))
		w := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
		e.serveTo(w, w.ResponseRecorder, req)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Greater(t, w.Body.Len(), 128<<10, format)
		require.GreaterOrEqual(t, w.writes, w.Body.Len()/(64<<10), "%s: written in pieces as rows are read", format)
		require.LessOrEqual(t, w.largest, 64<<10, format)
	}
}

// status is the expected answer of one person in the authorization tables.
type status = map[person]int

// TestExportAuthorization is the table of who may download and answer what,
// through the real policy: the provincial roles their own province's cycle,
// the ministry liaison every cycle and whole fiscal years, nobody else; a
// cycle the caller cannot even see is 404 like an unknown one. The checks
// come before the body of an upload is read (the liaison, who passes, gets
// the 422 of a missing file).
func TestExportAuthorization(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	sulsel := person{"perencana.sulsel", domain.RolePerencanaProvinsi, "73"}
	e.addPerson(sulsel)
	fy := e.cycle.FiscalYear
	cycle := "cycle_id=" + e.cycle.ID
	year := fmt.Sprintf("fiscal_year=%d", fy)
	forbidden := func(except status, other int) status {
		out := status{}
		for _, p := range append(append([]person{}, everyone...), sulsel) {
			out[p] = other
			if s, ok := except[p]; ok {
				out[p] = s
			}
		}
		return out
	}
	emptyUpload := func(p person, query string) response {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		require.NoError(t, mw.Close())
		return e.as(p, http.MethodPost, "/api/v1/exports/decisions?"+query, buf.String(), header{"Content-Type", mw.FormDataContentType()})
	}
	get := func(path string) func(p person, query string) response {
		return func(p person, query string) response { return e.as(p, http.MethodGet, path+"?"+query, nil) }
	}
	for _, tc := range []struct {
		name  string
		call  func(p person, query string) response
		query string
		want  status
	}{
		{"consolidated of a cycle", get("/api/v1/exports/consolidated"), cycle,
			forbidden(status{provPlanner: 200, kadisProv: 200, liaison: 200, sulsel: 404}, 403)},
		{"consolidated of a fiscal year", get("/api/v1/exports/consolidated"), year + "&format=xlsx",
			forbidden(status{liaison: 200}, 403)},
		{"audit trail of a cycle", get("/api/v1/exports/audit"), cycle,
			forbidden(status{provPlanner: 200, kadisProv: 200, liaison: 200, sulsel: 404}, 403)},
		{"answer for a cycle", emptyUpload, cycle,
			forbidden(status{liaison: 422, sulsel: 404}, 403)},
		{"answer for a fiscal year", emptyUpload, year,
			forbidden(status{liaison: 422}, 403)},
	} {
		for p, want := range tc.want {
			r := tc.call(p, tc.query)
			require.Equal(t, want, r.Code, "%s by %s: %s", tc.name, p.username, r.Body.String())
			if want == 404 {
				require.Equal(t, fmt.Sprintf("Siklus %q tidak ditemukan; lihat GET /api/v1/cycles.", e.cycle.ID), r.str("detail"))
			}
			if want == 422 {
				requireField(t, r, "file")
			}
		}
	}
	// An unknown cycle reads exactly like one out of sight.
	for _, path := range []string{"/api/v1/exports/consolidated", "/api/v1/exports/audit"} {
		r := e.as(liaison, http.MethodGet, path+"?cycle_id=99-2031", nil)
		requireProblem(t, r, http.StatusNotFound)
		require.Equal(t, `Siklus "99-2031" tidak ditemukan; lihat GET /api/v1/cycles.`, r.str("detail"))
	}
	requireProblem(t, emptyUpload(liaison, "cycle_id=99-2031"), http.StatusNotFound)

	// Exactly one of cycle_id and fiscal_year, well formed.
	for _, tc := range []struct{ path, query, field string }{
		{"/api/v1/exports/consolidated", "", "cycle_id"},
		{"/api/v1/exports/consolidated", "format=csv", "cycle_id"},
		{"/api/v1/exports/consolidated", cycle + "&" + year, "cycle_id"},
		{"/api/v1/exports/consolidated", "fiscal_year=dua-ribu", "fiscal_year"},
		{"/api/v1/exports/consolidated", "fiscal_year=1999", "fiscal_year"},
		{"/api/v1/exports/consolidated", cycle + "&format=pdf", "format"},
		{"/api/v1/exports/consolidated", "cycle_id=" + strings.Repeat("7", 21), "cycle_id"},
		{"/api/v1/exports/audit", "", "cycle_id"},
		{"/api/v1/exports/audit", year, "fiscal_year"},
	} {
		requireField(t, e.as(liaison, http.MethodGet, tc.path+"?"+tc.query, nil), tc.field)
	}
	requireField(t, emptyUpload(liaison, ""), "cycle_id")
	requireField(t, emptyUpload(liaison, cycle+"&"+year), "cycle_id")
	// A body that is not multipart is refused as such.
	requireProblem(t, e.as(liaison, http.MethodPost, "/api/v1/exports/decisions?"+cycle, "proposal_id\n", header{"Content-Type", "text/csv"}),
		http.StatusUnsupportedMediaType)
}

// TestAuditExport: the audit trail of a cycle lists every transition of its
// proposals, oldest first, with who, in which role, from which stage to
// which and why, in UTC and in the province's local time (WITA for
// Sulawesi Tenggara); another cycle's proposals stay out.
func TestAuditExport(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", goodDraft(e.cycle.ID))
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	id := r.str("id")
	r = e.as(camat, http.MethodPost, "/api/v1/proposals/"+id+"/actions/submit", nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	r = e.as(reviewer, http.MethodPost, "/api/v1/proposals/"+id+"/actions/return", map[string]any{"comment": "=Lengkapi rincian pagu"})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	e.insertProposal(sampleRow("usl-sulsel", domain.CycleID("73", e.cycle.FiscalYear), "73.01.01", domain.StageDraft))

	raw := e.download(kadisProv, "/api/v1/exports/audit?cycle_id="+e.cycle.ID, "text/csv",
		fmt.Sprintf("jejak_audit_74_sulawesi_tenggara_%d.csv", e.cycle.FiscalYear))
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"waktu_utc", "waktu_lokal", "proposal_id", "aksi", "dari_tahap", "ke_tahap", "oleh", "peran", "komentar"}, recs[0])
	var trail []string
	for _, rec := range recs[1:] {
		require.Equal(t, id, rec[2], "only this cycle's proposals")
		at, err := time.Parse(time.RFC3339, rec[0])
		require.NoError(t, err)
		require.Equal(t, at.In(time.FixedZone("WITA", 8*3600)).Format("2006-01-02 15:04:05")+" WITA", rec[1])
		trail = append(trail, strings.Join(rec[3:], "|"))
	}
	require.Equal(t, []string{
		"create||draft|kec.andoolo|perencana_kecamatan|",
		"submit|draft|kabkota_review|camat.andoolo|camat|",
		// A comment starting with = is defused for spreadsheets.
		"return|kabkota_review|draft|kabid.konsel|reviewer_kabkota|'=Lengkapi rincian pagu",
	}, trail)
}

// answerCSV fills the ministry's answer into an exported CSV: columns
// keputusan_kementerian and alasan are added and set for the proposals
// named in decisions ({decision, reason, funding source or "" to keep the
// exported one}).
func answerCSV(t *testing.T, exported []byte, decisions map[string][3]string) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(exported)).ReadAll()
	require.NoError(t, err)
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for i, rec := range recs {
		rec = append(rec, "", "")
		if i == 0 {
			rec[len(rec)-2], rec[len(rec)-1] = "keputusan_kementerian", "alasan"
		} else if d, ok := decisions[rec[7]]; ok {
			rec[len(rec)-2], rec[len(rec)-1] = d[0], d[1]
			if d[2] != "" {
				rec[17] = d[2]
			}
		}
		require.NoError(t, w.Write(rec))
	}
	w.Flush()
	return buf.Bytes()
}

// upload posts a file as multipart/form-data field file.
func (e *env) upload(p person, query, filename string, data []byte) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	require.NoError(e.t, err)
	_, err = fw.Write(data)
	require.NoError(e.t, err)
	require.NoError(e.t, mw.Close())
	return e.as(p, http.MethodPost, "/api/v1/exports/decisions?"+query, buf.String(), header{"Content-Type", mw.FormDataContentType()})
}

// decisionEvents lists the fund/decline events of the proposals as
// "id:action:actor:role", one per recorded decision.
func (e *env) decisionEvents(ids ...string) []string {
	e.t.Helper()
	var rows []struct{ ProposalID, Action, Actor, ActorRole string }
	require.NoError(e.t, e.db.ScanSQL(context.Background(), &rows, `SELECT proposal_id, action, actor, actor_role FROM proposal_events
		WHERE action IN ('fund', 'decline') AND proposal_id IN ? ORDER BY proposal_id`, ids))
	var out []string
	for _, r := range rows {
		out = append(out, r.ProposalID+":"+r.Action+":"+r.Actor+":"+r.ActorRole)
	}
	return out
}

func (e *env) stages(ids ...string) map[string]string {
	e.t.Helper()
	out := map[string]string{}
	for _, id := range ids {
		p, err := e.db.GetProposal(e.ctx, id)
		require.NoError(e.t, err)
		out[id] = string(p.Stage)
	}
	return out
}

func summaryItems(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, it := range items(r) {
		m := it.(map[string]any)
		out = append(out, fmt.Sprintf("%s:%s:%s", m["proposal_id"], m["action"], m["stage"]))
	}
	return out
}

// TestMinistryDecisionsUpload: the ministry liaison downloads the list,
// fills in keputusan_kementerian and uploads it. A file with one bad row
// changes nothing and names the row; a row of another cycle is refused the
// same way; a good file records every decision as fund/decline in the
// liaison's name and role, with the funding source of the row; the same
// file again records nothing and says all were already in effect. A whole
// fiscal year is answered with the XLSX, across provinces.
func TestMinistryDecisionsUpload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true, worker: true})
		c74, c73 := e.cycle.ID, domain.CycleID("73", e.cycle.FiscalYear)
		a, b, c := uniqueID("a"), uniqueID("b"), uniqueID("c")
		sel, open := uniqueID("sel"), uniqueID("open")
		e.startProposal(listRow(a, c74, "74.05.03", domain.StageMinistry, 120_000_000, 110_000_000, 1))
		e.startProposal(listRow(b, c74, "74.05", domain.StageMinistry, 80_000_000, 75_000_000, 2))
		e.startProposal(listRow(c, c74, "74", domain.StageMinistry, 300_000_000, 250_000_000, 1))
		e.startProposal(listRow(sel, c73, "73.01.01", domain.StageMinistry, 60_000_000, 55_000_000, 1))
		e.startProposal(listRow(open, c74, "74.71", domain.StageConsolidation, 10_000_000, 9_000_000, 3))
		all := []string{a, b, c, sel, open}
		before := e.stages(all...)

		exported := e.download(liaison, "/api/v1/exports/consolidated?cycle_id="+c74, "text/csv",
			fmt.Sprintf("konsolidasi_74_sulawesi_tenggara_%d.csv", e.cycle.FiscalYear))
		// Row numbers: 1 header, then the list's order (provincial first,
		// then 74.05 by priority, then 74.71): 2 c, 3 a, 4 b, 5 open.
		bad := answerCSV(t, exported, map[string][3]string{
			a:    {"danai", "", ""},
			b:    {"tolak", "", ""},     // no reason
			c:    {"danai", "", "apbn"}, // unknown funding source
			open: {"danai", "", ""},     // not at the ministry yet
		})
		r := e.upload(liaison, "cycle_id="+c74, "jawaban.csv", bad)
		requireProblem(t, r, http.StatusUnprocessableEntity)
		var fields []string
		for _, fe := range r.body["errors"].([]any) {
			fields = append(fields, fe.(map[string]any)["field"].(string))
		}
		require.Equal(t, []string{"baris 2: sumber_dana", "baris 4: alasan", "baris 5: proposal_id"}, fields)
		require.Equal(t, before, e.stages(all...), "all or nothing")
		require.Empty(t, e.decisionEvents(all...))

		// A proposal of another cycle in a file uploaded for this one.
		// 21 DESIGN.md columns, 4 label columns (koperasi_penerima last),
		// 5 dossier columns (issue 21), then the two answers.
		row := make([]string, 32)
		row[7], row[17], row[30] = sel, "apbd_provinsi", "danai"
		withSulsel := append(answerCSV(t, exported, map[string][3]string{a: {"danai", "", ""}}), []byte(strings.Join(row, ",")+"\n")...)
		r = e.upload(liaison, "cycle_id="+c74, "jawaban.csv", withSulsel)
		requireField(t, r, "baris 6: proposal_id")
		require.Contains(t, fmt.Sprint(r.body["errors"]), "milik siklus "+c73)
		require.Equal(t, before, e.stages(all...))

		good := answerCSV(t, exported, map[string][3]string{
			a: {"danai", "", "apbn_dekonsentrasi"},
			b: {"tolak", "Di luar prioritas nasional tahun ini", ""},
			c: {"DANAI", "Prioritas nasional", ""},
		})
		// The preview: the same checks, what would be recorded, nothing recorded.
		r = e.upload(liaison, "cycle_id="+c74+"&dry_run=true", "jawaban.csv", good)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, true, r.body["dry_run"])
		require.EqualValues(t, 0, r.body["applied"])
		require.Equal(t, []string{c + ":fund:sipd_mapping", a + ":fund:sipd_mapping", b + ":decline:declined"}, summaryItems(t, r))
		require.Equal(t, "Di luar prioritas nasional tahun ini", items(r)[2].(map[string]any)["comment"])
		require.Equal(t, before, e.stages(all...), "a preview records nothing")
		require.Empty(t, e.decisionEvents(all...))
		requireField(t, e.upload(liaison, "cycle_id="+c74+"&dry_run=ya", "jawaban.csv", good), "dry_run")
		requireField(t, e.upload(liaison, "cycle_id="+c74+"&dry_run=true", "jawaban.csv", bad), "baris 4: alasan")

		r = e.upload(liaison, "cycle_id="+c74, "jawaban.csv", good)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.EqualValues(t, 3, r.body["applied"])
		require.EqualValues(t, 0, r.body["skipped"])
		require.Equal(t, []string{c + ":fund:sipd_mapping", a + ":fund:sipd_mapping", b + ":decline:declined"}, summaryItems(t, r))
		require.ElementsMatch(t, []string{
			a + ":fund:penghubung.kemenkop:penghubung_kementerian",
			b + ":decline:penghubung.kemenkop:penghubung_kementerian",
			c + ":fund:penghubung.kemenkop:penghubung_kementerian",
		}, e.decisionEvents(all...))
		pa, err := db.GetProposal(e.ctx, a)
		require.NoError(t, err)
		require.Equal(t, domain.FundingSource("apbn_dekonsentrasi"), pa.FundingSource, "the funding source the ministry confirms")
		h := e.as(liaison, http.MethodGet, "/api/v1/proposals/"+b+"/history", nil)
		last := items(h)[len(items(h))-1].(map[string]any)
		require.Equal(t, "Di luar prioritas nasional tahun ini", last["comment"])

		// The same file again: nothing new, nothing doubled.
		r = e.upload(liaison, "cycle_id="+c74, "jawaban.csv", good)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.EqualValues(t, 0, r.body["applied"])
		require.EqualValues(t, 3, r.body["skipped"])
		require.Empty(t, items(r))
		require.Len(t, e.decisionEvents(all...), 3)

		// The whole fiscal year as XLSX: the sheet of 73 gets its answer.
		raw := e.download(liaison, fmt.Sprintf("/api/v1/exports/consolidated?format=xlsx&fiscal_year=%d", e.cycle.FiscalYear), xlsxType,
			fmt.Sprintf("konsolidasi_semua_provinsi_%d.xlsx", e.cycle.FiscalYear))
		f, err := excelize.OpenReader(bytes.NewReader(raw))
		require.NoError(t, err)
		sheet := "73 Sulawesi Selatan"
		rows, err := f.GetRows(sheet)
		require.NoError(t, err)
		col := len(rows[0]) + 1
		cell := func(c, r int) string { name, _ := excelize.CoordinatesToCellName(c, r); return name }
		require.NoError(t, f.SetCellValue(sheet, cell(col, 1), "keputusan_kementerian"))
		require.NoError(t, f.SetCellValue(sheet, cell(col+1, 1), "alasan"))
		for i, row := range rows {
			if len(row) > 7 && row[7] == sel {
				require.NoError(t, f.SetCellValue(sheet, cell(col, i+1), "tolak"))
				require.NoError(t, f.SetCellValue(sheet, cell(col+1, i+1), "Belum memenuhi syarat dekonsentrasi"))
			}
		}
		var answered bytes.Buffer
		require.NoError(t, f.Write(&answered))
		require.NoError(t, f.Close())
		// The provincial planner may not record the ministry's answer.
		requireProblem(t, e.upload(provPlanner, fmt.Sprintf("fiscal_year=%d", e.cycle.FiscalYear), "jawaban.xlsx", answered.Bytes()), http.StatusForbidden)
		r = e.upload(liaison, fmt.Sprintf("fiscal_year=%d", e.cycle.FiscalYear), "jawaban.xlsx", answered.Bytes())
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.EqualValues(t, 1, r.body["applied"])
		require.Equal(t, []string{sel + ":decline:declined"}, summaryItems(t, r))
		require.Equal(t, sheet, items(r)[0].(map[string]any)["sheet"])
		require.Equal(t, map[string]string{a: "sipd_mapping", b: "declined", c: "sipd_mapping", sel: "declined", open: "consolidation"}, e.stages(all...))
	})
}

// flakyTemporal is the real client whose n-th Update fails as if the
// Temporal frontend were unreachable at that moment.
type flakyTemporal struct {
	client.Client
	failOn int32
	calls  atomic.Int32
}

func (f *flakyTemporal) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	if f.calls.Add(1) == f.failOn {
		return nil, serviceerror.NewUnavailable("injected outage")
	}
	return f.Client.UpdateWorkflow(ctx, o)
}

// TestDecisionsFailMidwayThenConverge: when Temporal fails while an upload
// is being applied, the answer is a 503 that names the failed row and says
// how many decisions were recorded anyway; those stay recorded. Uploading
// the same file again skips exactly them and records the rest: every
// proposal ends with its one decision, none twice.
func TestDecisionsFailMidwayThenConverge(t *testing.T) {
	flaky := &flakyTemporal{failOn: 3}
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true, deps: func(d *api.Deps) {
		flaky.Client = d.Temporal
		d.Temporal = flaky
	}})
	var ids []string
	answers := map[string][3]string{}
	for i := range 8 {
		id := uniqueID(fmt.Sprintf("m%d", i))
		ids = append(ids, id)
		e.startProposal(listRow(id, e.cycle.ID, "74.05.03", domain.StageMinistry, 50_000_000, 45_000_000, i+1))
		answers[id] = [3]string{"danai", "", ""}
		if i%3 == 0 {
			answers[id] = [3]string{"tolak", "Pagu nasional habis", ""}
		}
	}
	exported := e.download(liaison, "/api/v1/exports/consolidated?cycle_id="+e.cycle.ID, "text/csv",
		fmt.Sprintf("konsolidasi_74_sulawesi_tenggara_%d.csv", e.cycle.FiscalYear))
	file := answerCSV(t, exported, answers)

	r := e.upload(liaison, "cycle_id="+e.cycle.ID, "jawaban.csv", file)
	requireProblem(t, r, http.StatusServiceUnavailable)
	recorded := len(e.decisionEvents(ids...))
	require.GreaterOrEqual(t, recorded, 2, "the two decisions before the failure stay recorded")
	require.Less(t, recorded, len(ids), "nothing is started after the failure")
	require.Contains(t, r.str("detail"), fmt.Sprintf("%d keputusan lain dari berkas ini sudah dicatat", recorded))
	require.Contains(t, r.str("detail"), "unggah ulang berkas yang sama")
	errs := r.body["errors"].([]any)
	require.Regexp(t, `^baris \d+: proposal_id$`, errs[0].(map[string]any)["field"])

	r = e.upload(liaison, "cycle_id="+e.cycle.ID, "jawaban.csv", file)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.EqualValues(t, recorded, r.body["skipped"])
	require.EqualValues(t, len(ids)-recorded, r.body["applied"])
	events := e.decisionEvents(ids...)
	require.Len(t, events, len(ids), "one decision per proposal, none doubled")
	for _, id := range ids {
		want := "fund:penghubung.kemenkop:penghubung_kementerian"
		if answers[id][0] == "tolak" {
			want = "decline:penghubung.kemenkop:penghubung_kementerian"
		}
		require.Contains(t, events, id+":"+want)
	}
}

// endless is n bytes of filler without allocating them.
type endless struct{ n int64 }

func (r *endless) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return int(k), nil
}

// TestDecisionUploadBodyLimit: the upload is exempt from the global 1 MB
// limit (a 2 MB answer is read to its last row) and bounded by its own
// MaxDecisionsBytes, whether the size is declared or only found while
// reading; every other route keeps the global limit.
func TestDecisionUploadBodyLimit(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	var buf bytes.Buffer
	buf.WriteString("proposal_id,judul,keputusan_kementerian,alasan\n")
	for i := 0; buf.Len() < 2<<20; i++ {
		fmt.Fprintf(&buf, "usl-%06d,%s,,\n", i, strings.Repeat("Pelatihan pengemasan produk UMKM ", 3))
	}
	buf.WriteString("usl-tidak-ada,Terakhir,tolak,Tidak ada\n")
	lines := strings.Count(buf.String(), "\n")
	r := e.upload(liaison, "cycle_id="+e.cycle.ID, "jawaban.csv", buf.Bytes())
	requireField(t, r, fmt.Sprintf("baris %d: proposal_id", lines))

	multipartHead := func() (string, string) {
		var head bytes.Buffer
		mw := multipart.NewWriter(&head)
		_, err := mw.CreateFormFile("file", "jawaban.csv")
		require.NoError(t, err)
		return head.String(), mw.FormDataContentType()
	}
	send := func(body io.Reader, contentLength int64) response {
		head, ct := multipartHead()
		req := httptest.NewRequest(http.MethodPost, "/api/v1/exports/decisions?cycle_id="+e.cycle.ID,
			io.MultiReader(strings.NewReader(head+"proposal_id,keputusan_kementerian\n"), body))
		req.ContentLength = contentLength
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+e.token(liaison))
		rec := e.serve(req)
		return response{ResponseRecorder: rec}
	}
	// Declared too large: refused before reading.
	r = send(strings.NewReader(""), api.MaxDecisionsBytes+1)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Code, r.Body.String())
	require.Contains(t, r.Body.String(), "Berkas paling besar 64 MB")
	// Found too large while reading.
	r = send(&endless{n: api.MaxDecisionsBytes + 1}, -1)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Code, r.Body.String())

	// The global limit still holds elsewhere.
	big := with(goodDraft(e.cycle.ID), "description", strings.Repeat("x", 2<<20))
	requireProblem(t, e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", big), http.StatusRequestEntityTooLarge)
}

// TestMapUsesCheckMapping is the done-when of issue 7 through the API:
// proposals in sipd_mapping are mapped with valid, wrong-level,
// wrong-version and non-existent codes; the valid ones become final, every
// other one is refused with exactly one error on sipd_code carrying
// sipd.CheckMapping's message, and changes nothing. A planner's early pick
// on create and PATCH is judged by the same function.
func TestMapUsesCheckMapping(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true, worker: true})
	fy := e.cycle.FiscalYear
	kab, kec, prov := uniqueID("kab"), uniqueID("kec"), uniqueID("prov")
	for id, region := range map[string]string{kab: "74.05", kec: "74.05.03", prov: "74"} {
		p := listRow(id, e.cycle.ID, region, domain.StageSIPDMapping, 90_000_000, 80_000_000, 1)
		e.startProposal(p)
	}
	region := map[string]string{kab: "74.05", kec: "74.05.03", prov: "74"}
	expected := func(id, code string) string {
		err := sipd.CheckMapping(e.ctx, e.db, fy, region[id], code)
		var de *domain.Error
		require.ErrorAs(t, err, &de, "%s is refused by CheckMapping", code)
		return de.Fields[0].Message
	}
	mapTo := func(p person, id, code string) response {
		return e.as(p, http.MethodPost, "/api/v1/proposals/"+id+"/actions/map", map[string]any{"sipd_code": code})
	}
	for _, tc := range []struct {
		name string
		who  person
		id   string
		code string
		says string // a part of the message that shows which rule refused it
	}{
		{"wrong level: provincial code, kab/kota proposal", kabPlanner, kab, "2.17.07.1.01.0001", "memerlukan sub kegiatan kabupaten/kota"},
		{"wrong level: kab/kota code, kecamatan proposal", kabPlanner, kec, "2.17.05.1.01.0001", "adalah sub kegiatan provinsi"},
		{"wrong level: kab/kota code, provincial proposal", provPlanner, prov, "2.17.07.2.01.0003", "Usulan provinsi memerlukan sub kegiatan provinsi"},
		{"wrong version: 2-digit code of the older nomenclature", kabPlanner, kab, "2.17.07.2.01.03", fmt.Sprintf("tidak berlaku untuk tahun anggaran %d", fy)},
		{"wrong version, provincial", provPlanner, prov, "2.17.04.1.01.02", "hanya ada di Nomenklatur 2.17 (seed, sub kegiatan 2 digit)"},
		{"non-existent", kabPlanner, kab, "2.17.07.2.01.0099", `Kode sub kegiatan "2.17.07.2.01.0099" tidak dikenal`},
		{"non-existent program", provPlanner, prov, "2.17.99.1.01.0001", "tidak dikenal"},
		{"a kegiatan, not a sub kegiatan", kabPlanner, kab, "2.17.07.2.01", "adalah kode kegiatan"},
		{"not a code", kabPlanner, kab, "pelatihan", "bukan kode sub kegiatan SIPD"},
		{"empty", kabPlanner, kab, "", "wajib diisi"},
	} {
		r := mapTo(tc.who, tc.id, tc.code)
		requireProblem(t, r, http.StatusUnprocessableEntity)
		require.Equal(t, []any{map[string]any{"field": "sipd_code", "message": expected(tc.id, tc.code)}}, r.body["errors"], tc.name)
		require.Contains(t, expected(tc.id, tc.code), tc.says, tc.name)
	}
	require.Equal(t, map[string]string{kab: "sipd_mapping", kec: "sipd_mapping", prov: "sipd_mapping"}, e.stages(kab, kec, prov), "refusals change nothing")

	for _, tc := range []struct {
		who        person
		id, code   string
		normalized string
	}{
		{kabPlanner, kab, "2.17.07.2.01.0003", "2.17.07.2.01.0003"},
		{kabPlanner, kec, " 2.17.05.2.01.0001 ", "2.17.05.2.01.0001"},
		{provPlanner, prov, "2.17.07.1.01.0001", "2.17.07.1.01.0001"},
	} {
		r := mapTo(tc.who, tc.id, tc.code)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Equal(t, "final", r.str("stage"))
		require.Equal(t, tc.normalized, r.str("sipd_code"))
	}

	// The early pick on create and PATCH: same function, same words.
	for _, code := range []string{"2.17.07.2.01.03", "2.17.07.1.01.0001", "2.17.07.2.01.0099"} {
		r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", with(goodDraft(e.cycle.ID), "sipd_code", code))
		requireProblem(t, r, http.StatusUnprocessableEntity)
		want := sipd.CheckMapping(e.ctx, e.db, fy, "74.05.03", code).(*domain.Error).Fields[0].Message
		require.Equal(t, []any{map[string]any{"field": "sipd_code", "message": want}}, r.body["errors"], code)
	}
	r := e.as(kecPlanner, http.MethodPost, "/api/v1/proposals", with(goodDraft(e.cycle.ID), "sipd_code", "2.17.05.2.01.0001"))
	require.Equal(t, http.StatusCreated, r.Code, r.Body.String())
	id := r.str("id")
	r = e.as(kecPlanner, http.MethodPatch, "/api/v1/proposals/"+id, map[string]any{"sipd_code": "2.17.05.2.01.01"}, header{"If-Match", `"1"`})
	requireProblem(t, r, http.StatusUnprocessableEntity)
	want := sipd.CheckMapping(e.ctx, e.db, fy, "74.05.03", "2.17.05.2.01.01").(*domain.Error).Fields[0].Message
	require.Equal(t, []any{map[string]any{"field": "sipd_code", "message": want}}, r.body["errors"])
	require.Contains(t, want, "hanya ada di")
	// A draft may leave the code empty.
	r = e.as(kecPlanner, http.MethodPatch, "/api/v1/proposals/"+id, map[string]any{"sipd_code": ""}, header{"If-Match", `"1"`})
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
}

// TestSIPDSuggestions: the five sub kegiatan sipd.Suggest ranks for a
// proposal the caller can see, of its pemda level; 404 for one they
// cannot see or that does not exist.
func TestSIPDSuggestions(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	p := sampleRow("usl-saran", e.cycle.ID, "74.05.03", domain.StageDraft)
	p.Title, p.Description, p.Category = "Pelatihan kewirausahaan koperasi", "Pelatihan bagi pengurus dan anggota koperasi desa agar mampu berwirausaha", "pelatihan"
	e.insertProposal(p)
	stored, err := e.db.GetProposal(e.ctx, p.ID)
	require.NoError(t, err)
	want, err := sipd.Suggest(e.ctx, e.db, stored, sipd.DefaultSuggestions)
	require.NoError(t, err)
	require.Len(t, want, 5)

	r := e.as(kecPlanner, http.MethodGet, "/api/v1/proposals/usl-saran/sipd-suggestions", nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	got := items(r)
	require.Len(t, got, 5)
	for i, it := range got {
		s := it.(map[string]any)
		require.Equal(t, want[i].Code, s["code"])
		require.Equal(t, want[i].Name, s["name"])
		require.Contains(t, s["code"], ".2.", "kab/kota level for a kecamatan proposal")
	}
	require.ElementsMatch(t, []string{"2.17.05.2.01.0001", "2.17.07.2.01.0015"}, []any{got[0].(map[string]any)["code"], got[1].(map[string]any)["code"]})

	requireProblem(t, e.as(kendariPlan, http.MethodGet, "/api/v1/proposals/usl-saran/sipd-suggestions", nil), http.StatusNotFound)
	requireProblem(t, e.as(liaison, http.MethodGet, "/api/v1/proposals/usl-tidak-ada/sipd-suggestions", nil), http.StatusNotFound)
}

// TestExportOperationsDocumented: the document says what the new endpoints
// really send and take: CSV and XLSX media types for the downloads (and
// the responses carry one of them), multipart/form-data for the upload,
// and the JSON answers match their schemas.
func TestExportOperationsDocumented(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t), envOptions{people: true})
	doc := e.do(http.MethodGet, "/api/v1/openapi.json", "", nil)
	paths := doc.body["paths"].(map[string]any)
	okTypes := func(path, method string) []string {
		op := paths[path].(map[string]any)[method].(map[string]any)
		var out []string
		for mt := range op["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any) {
			out = append(out, mt)
		}
		return out
	}
	require.ElementsMatch(t, []string{"text/csv", xlsxType}, okTypes("/api/v1/exports/consolidated", "get"))
	require.Equal(t, []string{"text/csv"}, okTypes("/api/v1/exports/audit", "get"))
	require.Equal(t, []string{"application/json"}, okTypes("/api/v1/exports/decisions", "post"))
	require.Equal(t, []string{"application/json"}, okTypes("/api/v1/proposals/{id}/sipd-suggestions", "get"))
	upload := paths["/api/v1/exports/decisions"].(map[string]any)["post"].(map[string]any)["requestBody"].(map[string]any)
	require.Contains(t, upload["content"], "multipart/form-data")
	// Across the whole document: a JSON body always names its schema, any
	// other media type is a schema or a binary file.
	for path, item := range paths {
		for method, op := range item.(map[string]any) {
			var contents []any
			for _, res := range op.(map[string]any)["responses"].(map[string]any) {
				if c, ok := res.(map[string]any)["content"]; ok {
					contents = append(contents, c)
				}
			}
			if rb, ok := op.(map[string]any)["requestBody"].(map[string]any); ok {
				contents = append(contents, rb["content"])
			}
			for _, c := range contents {
				for mt, body := range c.(map[string]any) {
					schema := body.(map[string]any)["schema"].(map[string]any)
					_, named := schema["$ref"]
					if mt == "application/json" || mt == "application/problem+json" {
						require.True(t, named, "%s %s: %s without a schema", method, path, mt)
						continue
					}
					require.True(t, named || schema["format"] == "binary", "%s %s: %s is neither a schema nor a file", method, path, mt)
				}
			}
		}
	}

	for _, tc := range []struct{ format, want string }{{"csv", "text/csv"}, {"xlsx", xlsxType}} {
		r := e.as(liaison, http.MethodGet, "/api/v1/exports/consolidated?format="+tc.format+"&cycle_id="+e.cycle.ID, nil)
		require.Equal(t, http.StatusOK, r.Code)
		mt, _, err := mime.ParseMediaType(r.Header().Get("Content-Type"))
		require.NoError(t, err)
		require.Contains(t, okTypes("/api/v1/exports/consolidated", "get"), mt)
		require.Equal(t, tc.want, mt)
	}

	// The answers below are checked against the contract by e.do.
	e.insertProposal(sampleRow("usl-doc", e.cycle.ID, "74.05.03", domain.StageDraft))
	require.Equal(t, http.StatusOK, e.as(camat, http.MethodGet, "/api/v1/proposals/usl-doc/sipd-suggestions", nil).Code)
	e.insertProposal(listRow("usl-doc-in", e.cycle.ID, "74.05.03", domain.StageSIPDMapping, 1, 1, 1)) // already funded
	answer := "proposal_id,keputusan_kementerian,sumber_dana\nusl-doc-in,danai,apbn_dekonsentrasi\n"
	r := e.upload(liaison, "cycle_id="+e.cycle.ID, "jawaban.csv", []byte(answer))
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.EqualValues(t, 1, r.body["skipped"])
	requireField(t, e.upload(liaison, "cycle_id="+e.cycle.ID, "jawaban.txt", []byte(answer)), "file")
}

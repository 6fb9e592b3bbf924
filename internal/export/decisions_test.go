package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/export"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// answerCSV takes an exported CSV, appends the decision and reason columns,
// fills them for the proposals in answers (id -> decision, reason, funding
// source override) and appends extra raw rows at the end.
func answerCSV(t *testing.T, exported []byte, answers map[string][3]string, extra ...[]string) []byte {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(exported)).ReadAll()
	require.NoError(t, err)
	recs[0] = append(recs[0], export.DecisionColumn, export.ReasonColumn)
	for i, rec := range recs[1:] {
		a := answers[rec[7]]
		if a[2] != "" {
			rec[17] = a[2]
		}
		recs[i+1] = append(rec, a[0], a[1])
	}
	for _, e := range extra {
		row := make([]string, len(recs[0]))
		copy(row[7:8], e[:1])          // proposal_id
		copy(row[17:18], e[3:4])       // sumber_dana
		copy(row[len(row)-2:], e[1:3]) // decision, reason
		recs = append(recs, row)
	}
	var buf bytes.Buffer
	require.NoError(t, csv.NewWriter(&buf).WriteAll(recs))
	return buf.Bytes()
}

func fieldErrors(t *testing.T, err error) []domain.FieldError {
	t.Helper()
	var de *domain.Error
	require.True(t, errors.As(err, &de), "want a domain error, got %v", err)
	require.Equal(t, domain.EINVALID, de.Code)
	return de.Fields
}

func TestReadDecisionsCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedLists(t, db)
		national, err := export.ResolveScope(ctx, db, "", 2027)
		require.NoError(t, err)
		var exported bytes.Buffer
		_, err = export.WriteCSV(ctx, db, national, &exported)
		require.NoError(t, err)
		// Rows of the national list: 2 s-2, 3 s-1, 4 u-prov, 5 u-ksel-2,
		// 6 u-ksel-1, 7 u-ksel-dec, 8 u-ksel-old, 9 u-kdi-1, 10 u-kdi-new.

		good := answerCSV(t, exported.Bytes(), map[string][3]string{
			"s-1":        {"danai", "", "apbn_dekonsentrasi"},
			"s-2":        {"tolak", "Anggaran dekonsentrasi tahun ini tidak mencukupi", ""},
			"u-ksel-2":   {" DANAI ", "Prioritas nasional", ""},
			"u-ksel-1":   {"danai", "", ""},                // final already: in effect, left out
			"u-ksel-dec": {"ditolak", "Sudah ditolak", ""}, // declined already: in effect
		})
		ds, err := export.ReadDecisions(ctx, db, bytes.NewReader(good), export.CSV)
		require.NoError(t, err)
		require.Equal(t, []export.Decision{
			{ProposalID: "s-2", Action: domain.ActionDecline, Comment: "Anggaran dekonsentrasi tahun ini tidak mencukupi", Row: 2},
			{ProposalID: "s-1", Action: domain.ActionFund, FundingSource: "apbn_dekonsentrasi", Row: 3},
			{ProposalID: "u-ksel-2", Action: domain.ActionFund, FundingSource: "apbd_provinsi", Comment: "Prioritas nasional", Row: 5},
		}, ds)
		// The same file through ReadDecisionSet: the same pending
		// decisions, and the two already in effect named in file order.
		pending, done, err := export.ReadDecisionSet(ctx, db, bytes.NewReader(good), export.CSV)
		require.NoError(t, err)
		require.Equal(t, ds, pending)
		require.Equal(t, []export.Decision{
			{ProposalID: "u-ksel-1", Action: domain.ActionFund, FundingSource: "apbd_provinsi", Row: 6},
			{ProposalID: "u-ksel-dec", Action: domain.ActionDecline, Comment: "Sudah ditolak", Row: 7},
		}, done)

		bad := answerCSV(t, exported.Bytes(), map[string][3]string{
			"s-2":        {"tolak", "", ""},                 // no reason
			"s-1":        {"mungkin", "", ""},               // not a decision
			"u-prov":     {"tolak", "Bukan kewenangan", ""}, // sipd_mapping: too late
			"u-ksel-2":   {"danai", "", "apbn"},             // unknown funding source
			"u-ksel-old": {"danai", "", ""},                 // fine on its own
			"u-kdi-1":    {"danai", "", ""},                 // consolidation: too early
		},
			[]string{"tidak-ada", "danai", "", "apbd_provinsi"}, // row 11: unknown proposal
			[]string{"u-ksel-old", "tolak", "Ganda", ""},        // row 12: decided twice
			[]string{"", "danai", "", "apbd_provinsi"},          // row 13: no id
		)
		ds, err = export.ReadDecisions(ctx, db, bytes.NewReader(bad), export.CSV)
		require.Nil(t, ds, "all or nothing")
		fields := fieldErrors(t, err)
		var got []string
		for _, f := range fields {
			got = append(got, f.Field)
		}
		require.Equal(t, []string{
			"baris 2: alasan", "baris 3: keputusan_kementerian", "baris 4: proposal_id", "baris 5: sumber_dana",
			"baris 9: proposal_id", "baris 11: proposal_id", "baris 12: proposal_id", "baris 13: proposal_id",
		}, got)
		msg := func(i int) string { return fields[i].Message }
		require.Contains(t, msg(0), "Alasan wajib diisi")
		require.Contains(t, msg(1), `Keputusan "mungkin" tidak dikenal; isi danai atau tolak`)
		require.Contains(t, msg(2), "tahap Pemetaan SIPD (sipd_mapping)")
		require.Contains(t, msg(3), `Sumber dana "apbn" tidak dikenal`)
		require.Contains(t, msg(4), "tahap Konsolidasi Provinsi (consolidation)")
		require.Contains(t, msg(5), `Usulan "tidak-ada" tidak ditemukan`)
		require.Contains(t, msg(6), `sudah diputuskan di baris 8`)
		require.Contains(t, msg(7), "proposal_id wajib diisi")
	})
}

func TestReadDecisionsXLSX(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	seedLists(t, db)
	national, err := export.ResolveScope(ctx, db, "", 2027)
	require.NoError(t, err)
	var exported bytes.Buffer
	_, err = export.WriteXLSX(ctx, db, national, &exported)
	require.NoError(t, err)

	// The liaison opens the file, adds the two columns after the label
	// columns (V to X) on the Sulawesi
	// Selatan sheet and on the Sulawesi Tenggara sheet, answers, saves.
	answer := func(cells map[string]map[string]string) []byte {
		f, err := excelize.OpenReader(bytes.NewReader(exported.Bytes()))
		require.NoError(t, err)
		defer f.Close()
		// The decision columns go after the export's last column (AC since
		// the dossier's columns, issue 21).
		for sheet, values := range cells {
			require.NoError(t, f.SetCellValue(sheet, "AE1", export.DecisionColumn))
			require.NoError(t, f.SetCellValue(sheet, "AF1", "Komentar"))
			for cell, v := range values {
				require.NoError(t, f.SetCellValue(sheet, cell, v))
			}
		}
		var buf bytes.Buffer
		require.NoError(t, f.Write(&buf))
		return buf.Bytes()
	}
	// Sheet 73: row 2 s-2, row 3 s-1, row 4 subtotal, row 5 total.
	// Sheet 74: row 2 u-prov, 3 subtotal, 4 u-ksel-2, 5 u-ksel-1, 6 u-ksel-dec, 7 u-ksel-old.
	ds, err := export.ReadDecisions(ctx, db, bytes.NewReader(answer(map[string]map[string]string{
		"73 Sulawesi Selatan":  {"AE2": "danai", "AE3": "Tolak", "AF3": "Tidak sesuai prioritas nasional"},
		"74 Sulawesi Tenggara": {"AE7": "danai"},
	})), export.XLSX)
	require.NoError(t, err)
	require.Equal(t, []export.Decision{
		{ProposalID: "s-2", Action: domain.ActionFund, FundingSource: "apbd_provinsi", Sheet: "73 Sulawesi Selatan", Row: 2},
		{ProposalID: "s-1", Action: domain.ActionDecline, Comment: "Tidak sesuai prioritas nasional", Sheet: "73 Sulawesi Selatan", Row: 3},
		{ProposalID: "u-ksel-old", Action: domain.ActionFund, FundingSource: "apbd_provinsi", Sheet: "74 Sulawesi Tenggara", Row: 7},
	}, ds)

	// A decision on a subtotal row, a reason missing, a proposal past the
	// ministry: each named with its sheet and row.
	_, err = export.ReadDecisions(ctx, db, bytes.NewReader(answer(map[string]map[string]string{
		"73 Sulawesi Selatan":  {"AE3": "tolak", "AE4": "danai"},
		"74 Sulawesi Tenggara": {"AE2": "tolak", "AF2": "Terlambat"},
	})), export.XLSX)
	fields := fieldErrors(t, err)
	require.Len(t, fields, 3)
	require.Equal(t, "sheet 73 Sulawesi Selatan baris 3: alasan", fields[0].Field)
	require.Equal(t, "sheet 73 Sulawesi Selatan baris 4: proposal_id", fields[1].Field)
	require.Equal(t, "sheet 74 Sulawesi Tenggara baris 2: proposal_id", fields[2].Field)
	require.Contains(t, fields[2].Message, "Pemetaan SIPD")

	// The exported file as it is has no decision column at all.
	_, err = export.ReadDecisions(ctx, db, bytes.NewReader(exported.Bytes()), export.XLSX)
	require.Equal(t, "berkas", fieldErrors(t, err)[0].Field)
	require.Contains(t, fieldErrors(t, err)[0].Message, "keputusan_kementerian")
}

func TestParseDecisionsFileProblems(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		format     export.Format
		field      string
		message    string
	}{
		{"empty", "", export.CSV, "berkas", "baris judul tidak ada"},
		{"no decision column", "proposal_id,judul\np1,X\n", export.CSV, "berkas", "Kolom keputusan_kementerian tidak ada"},
		{"no decisions", "proposal_id,keputusan_kementerian\np1,\np2,\n", export.CSV, "berkas", "tidak berisi keputusan"},
		{"no id column", "judul,keputusan_kementerian\nX,danai\n", export.CSV, "baris 1: proposal_id", "Kolom proposal_id"},
		{"doubled column", "proposal_id,keputusan_kementerian,Keputusan_Kementerian\np1,danai,tolak\n", export.CSV, "baris 1: keputusan_kementerian", "lebih dari sekali"},
		{"broken quotes", "proposal_id,keputusan_kementerian\n\"p1,danai\n", export.CSV, "baris 2", "Format CSV rusak"},
		{"not utf-8", "proposal_id,keputusan_kementerian,sumber_dana\np1,danai,dak\np2,tolak \xff,x\n", export.CSV, "baris 3: keputusan_kementerian", "UTF-8"},
		// Issue 23: control characters in imports, named by row and column.
		{"NUL in a cell", "proposal_id,keputusan_kementerian,alasan\np2,tolak,di luar\x00 kewenangan\n", export.CSV, "baris 2: alasan", "karakter kendali"},
		{"escape in a cell", "proposal_id,keputusan_kementerian\np1,danai\x1b\n", export.CSV, "baris 2: keputusan_kementerian", "karakter kendali"},
		{"not an xlsx", "proposal_id", export.XLSX, "berkas", "tidak dapat dibaca"},
		{"unknown format", "x", "ods", "format", "tidak dikenal"},
	} {
		_, err := export.ParseDecisions(strings.NewReader(tc.data), tc.format)
		fields := fieldErrors(t, err)
		require.Equal(t, tc.field, fields[0].Field, tc.name)
		require.Contains(t, fields[0].Message, tc.message, tc.name)
	}

	// Excel with an Indonesian locale: semicolons and a BOM; blank lines
	// keep the row numbers a spreadsheet shows.
	ds, err := export.ParseDecisions(strings.NewReader("\ufeffproposal_id;keputusan_kementerian;sumber_dana;alasan\n\np1;didanai;DAK;\np2;ditolak;;\"Di luar kewenangan\r\nKabupate\u0301n\"\n"), export.CSV)
	require.NoError(t, err)
	require.Equal(t, []export.Decision{
		{ProposalID: "p1", Action: domain.ActionFund, FundingSource: "dak", Row: 3},
		{ProposalID: "p2", Action: domain.ActionDecline, Comment: "Di luar kewenangan\nKabupat\u00e9n", Row: 4}, // NFC, one kind of line break
	}, ds)
}

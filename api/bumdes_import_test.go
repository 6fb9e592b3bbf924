package api_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// TestBUMDesImport: a kab/kota planner imports the BUMDes businesses of
// his desa from a CSV. A file with a bad row, a duplicate or a desa of
// another kab/kota writes nothing and names the rows; a good file records
// every business; the same file again replaces them, no copies.
func TestBUMDesImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, envOptions{people: true})
		_, err := db.InsertRegions(e.ctx, []store.Region{{Code: "74.71.01.1001", Name: "Mandonga", Level: 4, ParentCode: "74.71.01"}})
		require.NoError(t, err)
		path := "/api/v1/cycles/" + e.cycle.ID + "/bumdes/import"
		csvFile := func(p person, body string) response {
			return e.as(p, http.MethodPost, path, body, header{"Content-Type", "text/csv"})
		}
		const head = "kode_desa,nama_bumdes,jenis_usaha,kata_kunci\n"

		r := csvFile(kabPlanner, head+
			"74.05.03.2001,BUMDes Andoolo Jaya,Pengolahan kopi bubuk,kopi;bubuk\n"+
			"74.05.03,BUMDes Salah,Kopi,kopi\n"+ // a kecamatan, not a desa
			"74.05.03.2001,BUMDes Tanpa Kunci,Air minum,\n"+
			"74.05.03.2001,bumdes andoolo jaya,Kopi lagi,kopi\n")
		requireProblem(t, r, http.StatusUnprocessableEntity)
		requireField(t, r, "baris 3: kode_desa")
		requireField(t, r, "baris 4: kata_kunci")
		requireField(t, r, "baris 5: nama_bumdes")
		require.Empty(t, items(e.as(provPlanner, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID+"/bumdes", nil)), "one bad row: nothing written")

		r = csvFile(kabPlanner, head+"74.05.03.2001,BUMDes Andoolo Jaya,Pengolahan kopi bubuk,kopi\n74.71.01.1001,BUMDes Mandonga,Air isi ulang,air\n")
		requireProblem(t, r, http.StatusForbidden)
		require.Equal(t, "baris 3: kode_desa", r.body["errors"].([]any)[0].(map[string]any)["field"], "the row outside his kab/kota is named")
		require.Empty(t, items(e.as(provPlanner, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID+"/bumdes", nil)))

		requireProblem(t, csvFile(kabPlanner, "\x00\x01PK"), http.StatusUnprocessableEntity)
		requireField(t, csvFile(kabPlanner, "desa,nama\n"), "file")
		requireProblem(t, csvFile(kecPlanner, head+"74.05.03.2001,BUMDes Andoolo Jaya,Kopi,kopi\n"), http.StatusForbidden)

		good := head + "74.05.03.2001,BUMDes Andoolo Jaya,Pengolahan kopi bubuk,kopi; bubuk\n\n74.05.03.2001,BUMDes Andoolo Tirta,Air minum isi ulang,air minum\n"
		r = csvFile(kabPlanner, good)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.EqualValues(t, 2, r.body["saved"])
		list := items(e.as(provPlanner, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID+"/bumdes", nil))
		require.Len(t, list, 2)
		kw := map[string]any{}
		for _, b := range list {
			kw[b.(map[string]any)["name"].(string)] = b.(map[string]any)["keywords"]
		}
		require.Equal(t, map[string]any{"BUMDes Andoolo Jaya": []any{"kopi", "bubuk"}, "BUMDes Andoolo Tirta": []any{"air minum"}}, kw)
		r = csvFile(kabPlanner, good)
		require.Equal(t, http.StatusOK, r.Code, r.Body.String())
		require.Len(t, items(e.as(provPlanner, http.MethodGet, "/api/v1/cycles/"+e.cycle.ID+"/bumdes", nil)), 2, "imported again: replaced, not copied")
	})
}

package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/register/registertest"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// regNow is "today" of the register tests: mid 2026.
var regNow = time.Date(2026, 6, 15, 3, 0, 0, 0, time.UTC)

// seedRegisterRegions inserts province 74 with two kab/kota, each with two
// kecamatan of five desa, and province 73 with one desa.
func seedRegisterRegions(t *testing.T, db *store.DB) map[string][]register.Desa {
	t.Helper()
	ctx := context.Background()
	regions := []store.Region{{Code: "74", Name: "Sulawesi Tenggara", Level: 1}, {Code: "73", Name: "Sulawesi Selatan", Level: 1},
		{Code: "73.01", Name: "Selayar", Level: 2, ParentCode: "73"}, {Code: "73.01.01", Name: "Benteng", Level: 3, ParentCode: "73.01"},
		{Code: "73.01.01.2001", Name: "Bontobangun", Level: 4, ParentCode: "73.01.01"}}
	desas := map[string][]register.Desa{"73.01": {{Code: "73.01.01.2001", Name: "Bontobangun"}}}
	for _, kk := range []string{"74.05", "74.71"} {
		regions = append(regions, store.Region{Code: kk, Name: "Kab " + kk, Level: 2, ParentCode: "74"})
		for k := 1; k <= 2; k++ {
			kec := fmt.Sprintf("%s.%02d", kk, k)
			regions = append(regions, store.Region{Code: kec, Name: "Kec " + kec, Level: 3, ParentCode: kk})
			for d := 1; d <= 5; d++ {
				code := fmt.Sprintf("%s.%d", kec, 2000+d)
				regions = append(regions, store.Region{Code: code, Name: "Desa " + code, Level: 4, ParentCode: kec})
				desas[kk] = append(desas[kk], register.Desa{Code: code, Name: "Desa " + code})
			}
		}
	}
	_, err := db.InsertRegions(ctx, regions)
	require.NoError(t, err)
	return desas
}

// openRound records an open data round, as the workflow's first change
// would.
func openRound(t testing.TB, db *store.DB, kabkota string, year int) {
	t.Helper()
	setRound(t, db, kabkota, year, domain.RoundOpen)
}

var roundSeq = map[string]int64{}

func setRound(t testing.TB, db *store.DB, kabkota string, year int, status domain.RoundStatus) {
	t.Helper()
	key := fmt.Sprintf("%p/%s/%d", db, kabkota, year)
	roundSeq[key]++
	seq := roundSeq[key]
	r := domain.DataRound{Region: kabkota, Year: year, Revision: 1, Status: status, DueAt: regNow.Add(30 * 24 * time.Hour)}
	ok, err := db.RecordDataRound(context.Background(), r, store.DataRoundEvent{Region: kabkota, Year: year, Seq: seq, Action: "test",
		ToStatus: status, Revision: 1, Actor: domain.Actor{Username: "test"}, At: regNow})
	require.NoError(t, err)
	require.True(t, ok)
}

// synthFile is the synthetic register of desas for year, as a CSV file,
// and its records.
func synthFile(t *testing.T, desas []register.Desa, year int, kmp string) (string, [][]string) {
	t.Helper()
	data, recs, err := registertest.File(desas, year, register.SynthOptions{PerDesa: 4, KMPKabKota: kmp, Now: regNow})
	require.NoError(t, err)
	return data, recs
}

func importFile(t *testing.T, db *store.DB, kabkota string, year int, data string, dry bool) (store.ImportResult, error) {
	t.Helper()
	rd, err := register.Open(strings.NewReader(data), register.Options{KabKota: kabkota, Year: year, Now: regNow})
	if err != nil {
		return store.ImportResult{}, err
	}
	defer rd.Close()
	return db.ImportKoperasi(context.Background(), store.ImportOptions{KabKota: kabkota, Year: year, Actor: "operator", DryRun: dry, Now: regNow}, rd.Next)
}

func TestKoperasiImportAndIndicators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		desas := seedRegisterRegions(t, db)
		recs := map[int][][]string{}
		for _, year := range []int{2025, 2026} {
			openRound(t, db, "74.05", year)
			data, r := synthFile(t, desas["74.05"], year, "74.05")
			// The preview writes nothing and counts every row as added.
			prev, err := importFile(t, db, "74.05", year, data, true)
			require.NoError(t, err)
			require.Equal(t, len(r), prev.Added)
			ind, err := db.KoperasiIndicators(ctx, "74.05", year)
			require.NoError(t, err)
			require.Zero(t, ind.Total(), "a dry run writes nothing")

			res, err := importFile(t, db, "74.05", year, data, false)
			require.NoError(t, err)
			require.Equal(t, store.ImportResult{Added: len(r), Errors: []domain.FieldError{}}, res)
			recs[year] = r
			// The same file again: unchanged.
			again, err := importFile(t, db, "74.05", year, data, true)
			require.NoError(t, err)
			require.Equal(t, len(r), again.Unchanged)
		}
		openRound(t, db, "74.71", 2026)
		data, r71 := synthFile(t, desas["74.71"], 2026, "")
		_, err := importFile(t, db, "74.71", 2026, data, false)
		require.NoError(t, err)
		all2026 := append(append([][]string{}, recs[2026]...), r71...)

		for _, region := range []string{"74.05", "74.05.01", "74.05.02.2003", "74.71", "74", "*", "73"} {
			got, err := db.KoperasiIndicators(ctx, region, 2026)
			require.NoError(t, err)
			want := registertest.Expect(all2026, region, 2026)
			prevWant := registertest.Expect(recs[2025], region, 2025)
			if prevWant.Total() == 0 {
				require.Nil(t, got.Previous, region)
			} else {
				want.Previous = &prevWant
			}
			require.Equal(t, want, got, region)
		}
		got, err := db.KoperasiIndicators(ctx, "74.05", 2026)
		require.NoError(t, err)
		require.Positive(t, got.Active)
		require.Positive(t, got.Berkualitas)
		require.Positive(t, got.Previous.Active)

		// Per kab/kota of the province, as the dashboard asks.
		children, err := db.ChildIndicators(ctx, "74", 2026)
		require.NoError(t, err)
		require.Len(t, children, 2)
		require.Equal(t, registertest.Expect(recs[2026], "74.05", 2026).Active, children["74.05"].Active)

		// One row changes: the preview says so.
		changed := strings.Replace(data, ",aktif,", ",tidak_aktif,", 1)
		res, err := importFile(t, db, "74.71", 2026, changed, true)
		require.NoError(t, err)
		require.Equal(t, 1, res.Changed)
		require.Equal(t, len(r71)-1, res.Unchanged)

		// The list: scope, year, status, search, paging.
		page, err := db.ListKoperasi(ctx, store.KoperasiQuery{Scopes: []string{"74.71"}, Year: 2026, Limit: 5})
		require.NoError(t, err)
		require.Len(t, page.Items, 5)
		require.NotNil(t, page.Next)
		for _, k := range page.Items {
			require.True(t, strings.HasPrefix(k.RegionCode, "74.71."))
			require.Len(t, k.Years, 1)
		}
		n := 0
		for q := (store.KoperasiQuery{Scopes: []string{"74.71"}, Year: 2026, Status: domain.KoperasiAktif, Limit: 3}); ; {
			p, err := db.ListKoperasi(ctx, q)
			require.NoError(t, err)
			for _, k := range p.Items {
				require.Equal(t, domain.KoperasiAktif, k.Years[0].Status)
			}
			n += len(p.Items)
			if p.Next == nil {
				break
			}
			q.After = p.Next
		}
		require.Equal(t, int(registertest.Expect(r71, "74.71", 2026).Active), n)
		first := page.Items[0]
		found, err := db.ListKoperasi(ctx, store.KoperasiQuery{Scopes: []string{"*"}, Q: strings.ToUpper(first.Name[9:20])})
		require.NoError(t, err)
		require.NotEmpty(t, found.Items)
		// Another kab/kota's koperasi is not found.
		_, err = db.GetKoperasi(ctx, first.ID, []string{"74.05"})
		require.Equal(t, domain.ENOTFOUND, domain.ErrorCode(err))
		k, err := db.GetKoperasi(ctx, first.ID, []string{"74"})
		require.NoError(t, err)
		require.Equal(t, first.Name, k.Name)

		// An edit of one year moves the sums the indicators read.
		y := k.Years[len(k.Years)-1]
		y.Members += 1000
		_, err = db.SaveKoperasiYear(ctx, k.ID, []string{"74"}, y, "test", regNow)
		require.NoError(t, err)
		for _, region := range []string{"74.71", domain.RegionParent(k.RegionCode), "74", "*"} {
			after, err := db.KoperasiIndicators(ctx, region, 2026)
			require.NoError(t, err)
			want := registertest.Expect(r71, region, 2026)
			if region == "74" || region == "*" {
				want = registertest.Expect(all2026, region, 2026)
			}
			require.Equal(t, want.Members+1000, after.Members, region)
		}
	})
}

// A file with one bad row writes nothing and names the row and field;
// checks that need the database (a desa code the regions table does not
// know, a koperasi of another kab/kota) are refused the same way.
func TestKoperasiImportAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		desas := seedRegisterRegions(t, db)
		openRound(t, db, "74.05", 2026)
		openRound(t, db, "74.71", 2026)
		data, recs := synthFile(t, desas["74.05"], 2026, "")
		require.Greater(t, len(recs), 10)
		lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
		bad := func(line int, col, val string) string {
			out := append([]string{}, lines...)
			rec := strings.Split(out[line-1], ",")
			for i, h := range register.Header {
				if h == col {
					rec[i] = val
				}
			}
			out[line-1] = strings.Join(rec, ",")
			return strings.Join(out, "\n") + "\n"
		}
		for _, tc := range []struct {
			name, data, field string
			row               int
		}{
			{"unknown desa", bad(7, "kode_wilayah", "74.05.01.2999"), "kode_wilayah", 7},
			{"negative amount", bad(5, "volume_usaha", "-1"), "volume_usaha", 5},
		} {
			_, err := importFile(t, db, "74.05", 2026, tc.data, false)
			var de *domain.Error
			require.ErrorAs(t, err, &de, tc.name)
			require.Equal(t, domain.EINVALID, de.Code)
			require.Len(t, de.Fields, 1, tc.name)
			require.Equal(t, domain.FieldError{Row: tc.row, Field: tc.field, Message: de.Fields[0].Message}, de.Fields[0])
			ind, err := db.KoperasiIndicators(ctx, "*", 2026)
			require.NoError(t, err)
			require.Zero(t, ind.Total(), "%s: nothing written", tc.name)
		}
		// A koperasi of 74.05 cannot be imported into 74.71's register.
		_, err := importFile(t, db, "74.05", 2026, data, false)
		require.NoError(t, err)
		rec := strings.Split(lines[1], ",")
		rec[5] = desas["74.71"][0].Code
		_, err = importFile(t, db, "74.71", 2026, lines[0]+"\n"+strings.Join(rec, ",")+"\n", false)
		var de *domain.Error
		require.ErrorAs(t, err, &de)
		require.Equal(t, 2, de.Fields[0].Row)
		require.Equal(t, "kode_wilayah", de.Fields[0].Field)
	})
}

// A round that is not open or returned refuses every write: import, a
// year's edit, UMKM figures (409, ECONFLICT); an accepted one says it is
// frozen.
func TestRegisterFrozenRound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		desas := seedRegisterRegions(t, db)
		data, _ := synthFile(t, desas["74.05"], 2026, "")
		_, err := importFile(t, db, "74.05", 2026, data, false)
		require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), "no round opened yet")
		openRound(t, db, "74.05", 2026)
		_, err = importFile(t, db, "74.05", 2026, data, false)
		require.NoError(t, err)
		u := domain.UMKMFigures{Region: "74.05", Year: 2026, Mikro: 12000, Kecil: 800, Menengah: 40, TenagaKerja: 30000}
		require.NoError(t, db.PutUMKM(ctx, u, "operator", regNow))
		page, err := db.ListKoperasi(ctx, store.KoperasiQuery{Scopes: []string{"74.05"}, Year: 2026, Limit: 1})
		require.NoError(t, err)
		id := page.Items[0].ID
		for _, st := range []domain.RoundStatus{domain.RoundSubmitted, domain.RoundVerified, domain.RoundAccepted} {
			setRound(t, db, "74.05", 2026, st)
			_, err = importFile(t, db, "74.05", 2026, data, true)
			require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), st)
			require.Equal(t, domain.ECONFLICT, domain.ErrorCode(db.PutUMKM(ctx, u, "operator", regNow)), st)
			_, err = db.SaveKoperasiYear(ctx, id, []string{"74.05"}, domain.KoperasiYear{Year: 2026, Status: domain.KoperasiAktif}, "operator", regNow)
			require.Equal(t, domain.ECONFLICT, domain.ErrorCode(err), st)
		}
		require.Contains(t, domain.ErrorMessage(err), "dibekukan")
		got, err := db.GetUMKM(ctx, "74.05", 2026)
		require.NoError(t, err)
		require.Equal(t, u, got)

		// Returned: editable again.
		setRound(t, db, "74.05", 2026, domain.RoundReturned)
		k, err := db.SaveKoperasiYear(ctx, id, []string{"74.05"}, domain.KoperasiYear{Year: 2026, Status: domain.KoperasiDibubarkan}, "operator", regNow)
		require.NoError(t, err)
		require.Equal(t, domain.KoperasiDibubarkan, k.Years[len(k.Years)-1].Status)
	})
}

// The diff of a round against the year before, and the round's
// projection: idempotent on seq, a newer snapshot never overwritten.
func TestRoundDiffAndProjection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		desas := seedRegisterRegions(t, db)
		recs := map[int]map[string]string{} // year → badan hukum → status
		for _, year := range []int{2024, 2025} {
			openRound(t, db, "74.05", year)
			data, r := synthFile(t, desas["74.05"], year, "")
			_, err := importFile(t, db, "74.05", year, data, false)
			require.NoError(t, err)
			recs[year] = map[string]string{}
			for _, rec := range r {
				recs[year][rec[1]] = rec[7]
			}
		}
		var appeared, disappeared, changed int64
		for bh, st := range recs[2025] {
			prev, ok := recs[2024][bh]
			switch {
			case !ok:
				appeared++
			case prev != st:
				changed++
			}
		}
		for bh := range recs[2024] {
			if _, ok := recs[2025][bh]; !ok {
				disappeared++
			}
		}
		d, err := db.DataRoundDiff(ctx, "74.05", 2025)
		require.NoError(t, err)
		require.Equal(t, appeared, d.AppearedCount)
		require.Equal(t, disappeared, d.DisappearedCount)
		require.Equal(t, changed, d.ChangedCount)
		require.Positive(t, changed)
		require.Len(t, d.Changed, int(changed))
		for _, it := range d.Changed {
			require.NotEqual(t, it.From, it.To)
		}

		// Projection: a retry of seq 1 writes nothing; an older snapshot
		// arriving late does not replace a newer one.
		r := domain.DataRound{Region: "74.71", Year: 2026, Revision: 1, Status: domain.RoundOpen, DueAt: regNow}
		ev := store.DataRoundEvent{Region: "74.71", Year: 2026, Seq: 1, Action: "open", ToStatus: domain.RoundOpen, Revision: 1, Actor: domain.Actor{Username: "p"}, At: regNow}
		note := domain.Notification{ID: "data/74.71/2026/1/x", RecipientRole: domain.RoleOperatorData, RecipientScope: "74.71", Kind: "x", Message: "m", CreatedAt: regNow}
		ok, err := db.RecordDataRound(ctx, r, ev, note)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.RecordDataRound(ctx, r, ev, note)
		require.NoError(t, err)
		require.False(t, ok)
		r3 := r
		r3.Status = domain.RoundVerified
		ev3 := ev
		ev3.Seq, ev3.ToStatus = 3, domain.RoundVerified
		_, err = db.RecordDataRound(ctx, r3, ev3)
		require.NoError(t, err)
		r2 := r
		r2.Status = domain.RoundSubmitted
		ev2 := ev
		ev2.Seq, ev2.ToStatus = 2, domain.RoundSubmitted
		_, err = db.RecordDataRound(ctx, r2, ev2)
		require.NoError(t, err)
		got, err := db.GetDataRound(ctx, "74.71", 2026)
		require.NoError(t, err)
		require.Equal(t, domain.RoundVerified, got.Status)
		require.Equal(t, int64(3), got.Version)
		events, err := db.DataRoundEvents(ctx, "74.71", 2026)
		require.NoError(t, err)
		require.Len(t, events, 3)
		list, err := db.ListDataRounds(ctx, "74", 2026)
		require.NoError(t, err)
		require.Len(t, list, 1)
	})
}

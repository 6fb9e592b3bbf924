package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// KMPKabKota is the kab/kota where the demo forms a Koperasi Merah Putih in
// every kelurahan (Kota Kendari, 65), through the real workflows. Konawe
// Selatan is left alone: its register already lists a KMP per desa.
const KMPKabKota = "74.71"

// KMPUsers are the demo accounts of the KMP pages (issue 19): the
// province's task force, the camat of Mandonga and the operator of
// Kelurahan Mandonga. Seed creates them with the others.
var KMPUsers = []User{
	{"satgas.sultra", "Satgas Koperasi Merah Putih Sulawesi Tenggara", domain.RoleSatgasKMP, Province},
	{"camat.mandonga", "Camat Mandonga", domain.RoleCamat, "74.71.01"},
	{"operator.mandonga", "Operator Kelurahan Mandonga", domain.RoleOperatorDesa, "74.71.01.1005"},
}

// KMPDriver drives KMP workflows (cmd/rencana implements it with package
// workflows, which demo cannot import).
type KMPDriver interface {
	// Start runs a bulk start job for region and waits until it is done.
	Start(ctx context.Context, job store.KMPStartJob) error
	// Record runs a milestone Update on a desa's KMP.
	Record(ctx context.Context, code string, m domain.KMPMilestone, f domain.KMPFields, actor domain.Actor) error
}

// SeedKMP starts the KMP of every kelurahan of KMPKabKota and records
// milestones so the dashboard shows every stage: the musyawarah was due
// three days ago, so the kelurahan that have not held it are late and
// escalated to their camat; the others reach 1 to 7 milestones in turn.
// One kelurahan of Mandonga gets a BUMDes gerai sembako so its operasional
// raises the overlap warning. It returns the number of milestones recorded.
func SeedKMP(ctx context.Context, db *store.DB, now time.Time, drv KMPDriver) (int, error) {
	desas, err := db.DesaUnder(ctx, KMPKabKota, "", 1000)
	if err != nil {
		return 0, err
	}
	if err := db.SaveBUMDesBusiness(ctx, store.BUMDesBusiness{ID: "demo-bumdes-mandonga", RegionCode: "74.71.01.1006",
		Name: "BUMDes Korumba Sejahtera", Business: "Toko sembako dan kios pupuk", Keywords: []string{"sembako", "toko"}, Active: true, UpdatedAt: now}); err != nil {
		return 0, err
	}
	day := func(d int) time.Time { return now.AddDate(0, 0, d).UTC() }
	deadlines := domain.KMPDeadlines{
		domain.KMPMusdes: day(-3), domain.KMPPengurus: day(14), domain.KMPAkta: day(30), domain.KMPBadanHukum: day(45),
		domain.KMPNIB: day(60), domain.KMPPelatihan: day(75), domain.KMPOperasional: day(90),
	}
	satgas := domain.Actor{Username: KMPUsers[0].Username, Role: domain.RoleSatgasKMP, Scope: Province}
	job := store.KMPStartJob{ID: "demo-" + KMPKabKota, Region: KMPKabKota, Deadlines: deadlines, Actor: satgas,
		Status: store.JobRunning, Total: int64(len(desas)), CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	if err := db.SaveKMPStartJob(ctx, job); err != nil {
		return 0, err
	}
	if err := drv.Start(ctx, job); err != nil {
		return 0, fmt.Errorf("start KMP %s: %w", KMPKabKota, err)
	}
	// Milestones by each kelurahan's place: every fifth holds nothing yet
	// (late), the rest reach 1…7. The dates are in the past, in order.
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		n     int
		first error
	)
	sem := make(chan struct{}, 4) // a few at once: the dev server is one SQLite file
	for i, d := range desas {
		reach := i % 8
		switch d.Code {
		case "74.71.01.1006": // the BUMDes overlap
			reach = 7
		case "74.71.01.1005": // the demo operator's: a form to fill
			reach = 2
		}
		if reach == 0 {
			continue
		}
		camat := domain.Actor{Username: "camat." + d.Code[:8], Role: domain.RoleCamat, Scope: d.Code[:8]}
		if camat.Scope == KMPUsers[1].Scope {
			camat.Username = KMPUsers[1].Username
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(code, name string, reach int) {
			defer func() { <-sem; wg.Done() }()
			for o := 1; o <= reach; o++ {
				m := domain.KMPMilestoneAt(o)
				if err := drv.Record(ctx, code, m, KMPDemoFields(m, code, name, day(-40+5*o)), camat); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("KMP %s %s: %w", code, m, err)
					}
					mu.Unlock()
					return
				}
				mu.Lock()
				n++
				mu.Unlock()
			}
		}(d.Code, d.Name, reach)
	}
	wg.Wait()
	return n, first
}

// KMPDemoFields are plausible fields of milestone m on day.
func KMPDemoFields(m domain.KMPMilestone, code, name string, day time.Time) domain.KMPFields {
	f := domain.KMPFields{Date: day.Format(domain.KMPDateLayout)}
	digits := code[len(code)-4:]
	switch m {
	case domain.KMPMusdes:
		f.Attendance, f.BeritaAcara = 40, "BA-MUSKEL/"+digits
	case domain.KMPPengurus:
		f.Ketua, f.Sekretaris, f.Bendahara, f.Pengawas = "La Ode "+name, "Wa Ode "+name, "Andi "+name, []string{"Hasan", "Rahma"}
	case domain.KMPAkta:
		f.Number, f.Notary = "12/"+digits, "Notaris Siti Aminah, S.H., M.Kn."
	case domain.KMPBadanHukum:
		f.SKNumber = "AHU-00" + digits + ".AH.01.29.TAHUN " + day.Format("2006")
	case domain.KMPNIB:
		f.NIB = "9120074710" + digits[1:]
	case domain.KMPPelatihan:
		f.Provider = "Dinas Koperasi dan UKM Kota Kendari"
	case domain.KMPOperasional:
		f.Units = []domain.KMPUnit{domain.UnitGeraiSembako, domain.UnitSimpanPinjam}
	}
	return f
}

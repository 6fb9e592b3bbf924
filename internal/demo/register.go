package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/register"
	"github.com/rencana-id/rencana/internal/store"
)

// RoundDriver drives data rounds through their workflows (cmd/rencana
// implements it with package workflows, which demo cannot import). With a
// nil driver the demo writes the rounds' projection directly.
type RoundDriver interface {
	Open(ctx context.Context, kabkota string, year int, due time.Time, actor domain.Actor) error
	Act(ctx context.Context, kabkota string, year int, action domain.RoundAction, actor domain.Actor) error
}

// RegisterKMP is the kab/kota whose every desa/kelurahan has a Koperasi
// Merah Putih in the demo register.
const RegisterKMP = "74.05"

// SeedRegister loads a generated, deterministic koperasi register of
// Sulawesi Tenggara for the last three years (register.Synthesize: about
// one koperasi per desa, plus one KMP per desa of Konawe Selatan), through
// the same import as an operator's file, each year in its kab/kota's data
// round: the two past years' rounds submitted, verified and accepted, this
// year's open until the end of next month.
func SeedRegister(ctx context.Context, db *store.DB, now time.Time, rounds RoundDriver) (int, error) {
	kabkota, err := db.ListRegions(ctx, Province)
	if err != nil {
		return 0, err
	}
	total := 0
	due := time.Date(now.Year(), now.Month()+2, 1, 9, 0, 0, 0, time.UTC)
	for _, kk := range kabkota {
		desas, err := desaUnder(ctx, db, kk.Code)
		if err != nil {
			return total, err
		}
		operator := domain.Actor{Username: "operator." + strings.ReplaceAll(kk.Code, ".", ""), Role: domain.RoleOperatorData, Scope: kk.Code}
		if kk.Code == "74.05" {
			operator.Username = "operator.konsel"
		}
		kadis := domain.Actor{Username: "kadis." + strings.ReplaceAll(kk.Code, ".", ""), Role: domain.RoleKadisKabKota, Scope: kk.Code}
		if kk.Code == "74.05" {
			kadis.Username = "kadis.konsel"
		}
		prov := domain.Actor{Username: "perencana.sultra", Role: domain.RolePerencanaProvinsi, Scope: Province}
		for year := now.Year() - 2; year <= now.Year(); year++ {
			steps := []struct {
				action domain.RoundAction
				actor  domain.Actor
			}{{domain.RoundSubmit, operator}, {domain.RoundVerify, kadis}, {domain.RoundAccept, prov}}
			if year == now.Year() {
				steps = nil
			}
			if err := openRound(ctx, db, rounds, kk.Code, year, due, prov); err != nil {
				return total, fmt.Errorf("open data round %s/%d: %w", kk.Code, year, err)
			}
			n, err := importYear(ctx, db, kk.Code, year, desas, operator.Username, now)
			if err != nil {
				return total, fmt.Errorf("demo register %s/%d: %w", kk.Code, year, err)
			}
			total += n
			for i, s := range steps {
				if err := act(ctx, db, rounds, kk.Code, year, due, s.action, s.actor, int64(i+2)); err != nil {
					return total, fmt.Errorf("data round %s/%d %s: %w", kk.Code, year, s.action, err)
				}
			}
		}
	}
	return total, nil
}

func desaUnder(ctx context.Context, db *store.DB, kabkota string) ([]register.Desa, error) {
	var out []register.Desa
	kecs, err := db.ListRegions(ctx, kabkota)
	if err != nil {
		return nil, err
	}
	for _, kec := range kecs {
		ds, err := db.ListRegions(ctx, kec.Code)
		if err != nil {
			return nil, err
		}
		for _, d := range ds {
			out = append(out, register.Desa{Code: d.Code, Name: d.Name})
		}
	}
	return out, nil
}

func importYear(ctx context.Context, db *store.DB, kabkota string, year int, desas []register.Desa, by string, now time.Time) (int, error) {
	var recs [][]string
	err := register.Synthesize(desas, year, register.SynthOptions{PerDesa: 1, KMPKabKota: RegisterKMP, Now: now}, func(rec []string) error {
		recs = append(recs, append([]string{}, rec...))
		return nil
	})
	if err != nil {
		return 0, err
	}
	var b strings.Builder
	b.WriteString(strings.Join(register.Header, ",") + "\n")
	for _, r := range recs {
		b.WriteString(strings.Join(r, ",") + "\n")
	}
	rd, err := register.Open(strings.NewReader(b.String()), register.Options{KabKota: kabkota, Year: year, Now: now})
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	res, err := db.ImportKoperasi(ctx, store.ImportOptions{KabKota: kabkota, Year: year, Actor: by, Now: now}, rd.Next)
	return res.Added + res.Changed + res.Unchanged, err
}

func openRound(ctx context.Context, db *store.DB, rounds RoundDriver, kabkota string, year int, due time.Time, actor domain.Actor) error {
	if rounds != nil {
		return rounds.Open(ctx, kabkota, year, due, actor)
	}
	r := domain.DataRound{Region: kabkota, Year: year, Revision: 1, Status: domain.RoundOpen, DueAt: due}
	_, err := db.RecordDataRound(ctx, r, store.DataRoundEvent{Region: kabkota, Year: year, Seq: 1, Action: "open",
		ToStatus: domain.RoundOpen, Revision: 1, Actor: actor, At: time.Now().UTC()})
	return err
}

func act(ctx context.Context, db *store.DB, rounds RoundDriver, kabkota string, year int, due time.Time, action domain.RoundAction, actor domain.Actor, seq int64) error {
	if rounds != nil {
		return rounds.Act(ctx, kabkota, year, action, actor)
	}
	cur, err := db.GetDataRound(ctx, kabkota, year)
	if err != nil {
		return err
	}
	t, derr := domain.CheckRoundAction(cur.Status, action, actor, "")
	if derr != nil {
		return derr
	}
	next := cur
	next.Status = t.To
	_, err = db.RecordDataRound(ctx, next, store.DataRoundEvent{Region: kabkota, Year: year, Seq: seq, Action: string(action),
		FromStatus: cur.Status, ToStatus: t.To, Revision: cur.Revision, Actor: actor, At: time.Now().UTC()})
	return err
}

// Package demo seeds a new database with what a newcomer needs to try
// rencana at once: the admin account, a planning cycle for Sulawesi Tenggara
// (74) and one demo user per role, all sharing one password.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/rencana-id/rencana/internal/auth"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
)

// Granter adds role grants; the policies Authorizer is one.
type Granter interface {
	AddGrant(ctx context.Context, by, username string, g domain.Grant) error
}

// Province is the demo province: Sulawesi Tenggara.
const Province = "74"

// User is one demo account and the grant it holds.
type User struct {
	Username string
	FullName string
	Role     domain.Role
	Scope    string
}

// Users are the demo accounts, one per role of docs/ARCHITECTURE.md, around Kecamatan
// Andoolo (74.05.03) in Kabupaten Konawe Selatan (74.05).
var Users = []User{
	{"kec.andoolo", "Perencana Kecamatan Andoolo", domain.RolePerencanaKecamatan, "74.05.03"},
	{"camat.andoolo", "Camat Andoolo", domain.RoleCamat, "74.05.03"},
	{"perencana.konsel", "Perencana Dinas Koperasi dan UKM Konawe Selatan", domain.RolePerencanaKabKota, "74.05"},
	{"kabid.konsel", "Kabid Dinas Koperasi dan UKM Konawe Selatan", domain.RoleReviewerKabKota, "74.05"},
	{"kadis.konsel", "Kepala Dinas Koperasi dan UKM Konawe Selatan", domain.RoleKadisKabKota, "74.05"},
	{"perencana.kendari", "Perencana Dinas Koperasi dan UKM Kota Kendari", domain.RolePerencanaKabKota, "74.71"},
	{"perencana.sultra", "Perencana Dinas Koperasi dan UKM Sulawesi Tenggara", domain.RolePerencanaProvinsi, "74"},
	{"kadis.sultra", "Kepala Dinas Koperasi dan UKM Sulawesi Tenggara", domain.RoleKadisProvinsi, "74"},
	{"penghubung.kemenkop", "Penghubung Kementerian Koperasi dan UKM", domain.RolePenghubungKementrian, domain.NationalScope},
	{"operator.konsel", "Operator Data Koperasi Konawe Selatan", domain.RoleOperatorData, "74.05"},
}

// GeneratePassword returns a random password that is easy to type.
func GeneratePassword() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// EnsureAdmin creates the `admin` user with a national admin grant if it
// does not exist yet. It reports whether it created it. It is idempotent
// under concurrency too: when another process creates the account between
// the look-up and the insert, the insert's conflict means "already there",
// not an error (cmd/rencana also runs it under the start-up lock).
func EnsureAdmin(ctx context.Context, db *store.DB, g Granter, password string) (bool, error) {
	_, err := db.GetUser(ctx, "admin")
	if err == nil {
		return false, nil
	}
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		return false, err
	}
	err = createUser(ctx, db, g, "admin", "Administrator", password,
		domain.Grant{Role: domain.RoleAdmin, Scope: domain.NationalScope})
	switch {
	case domain.ErrorCode(err) == domain.ECONFLICT:
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// CycleOpener opens a cycle through its CycleWorkflow and returns it once
// it is in the database; cmd/rencana passes one built on
// workflows.CreateCycle (demo cannot import workflows: the dependency runs
// the other way for everything but cmd).
type CycleOpener func(ctx context.Context, c domain.Cycle) (domain.Cycle, error)

// Seed creates the demo cycle and users. The cycle is for next fiscal year
// (N-1: opened now, every date this year), with dates spread over what is
// left of the year so each stage can be tried. With open (a Temporal
// client is available) the cycle is created through its CycleWorkflow, so
// it can be moved, given ceilings and locked like any other; with nil only
// its row is written, as for a database without Temporal.
func Seed(ctx context.Context, db *store.DB, g Granter, password string, now time.Time, open CycleOpener) (domain.Cycle, error) {
	for _, u := range append(append([]User{}, Users...), KMPUsers...) {
		if err := createUser(ctx, db, g, u.Username, u.FullName, password, domain.Grant{Role: u.Role, Scope: u.Scope}); err != nil {
			return domain.Cycle{}, fmt.Errorf("demo user %s: %w", u.Username, err)
		}
	}
	c := domain.Cycle{
		ID:           domain.CycleID(Province, now.UTC().Year()+1),
		ProvinceCode: Province,
		FiscalYear:   now.UTC().Year() + 1,
		Calendar:     Calendar(now),
		CreatedBy:    "admin",
	}
	if err := c.Calendar.Validate(c.FiscalYear); err != nil {
		return domain.Cycle{}, fmt.Errorf("demo calendar: %w", err)
	}
	if open != nil {
		opened, err := open(ctx, c)
		if err != nil {
			return domain.Cycle{}, fmt.Errorf("open demo cycle: %w", err)
		}
		return opened, nil
	}
	if err := db.SaveCycle(ctx, c); err != nil {
		return domain.Cycle{}, err
	}
	return c, nil
}

// Calendar spreads a cycle's seven dates over the rest of now's year: the
// submission deadline a fifth of the way to the year's end, the others after.
func Calendar(now time.Time) domain.Calendar {
	now = now.UTC()
	end := time.Date(now.Year(), 12, 31, 12, 0, 0, 0, time.UTC)
	span := end.Sub(now)
	if span < 7*24*time.Hour {
		// Too late in the year for future dates: use the whole year, so the
		// cycle is valid but already past its deadlines.
		now = time.Date(now.Year(), 1, 2, 0, 0, 0, 0, time.UTC)
		span = end.Sub(now)
	}
	at := func(frac float64) time.Time {
		return now.Add(time.Duration(float64(span) * frac)).Truncate(time.Minute)
	}
	return domain.Calendar{
		SubmissionDeadline:    at(0.20),
		ReviewDeadline:        at(0.35),
		RakordaStart:          at(0.45),
		RakordaEnd:            at(0.55),
		ConsolidationDeadline: at(0.70),
		MinistryDeadline:      at(0.85),
		MappingDeadline:       at(0.97),
	}
}

func createUser(ctx context.Context, db *store.DB, g Granter, username, fullName, password string, grant domain.Grant) error {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	if err := db.CreateUser(ctx, store.User{Username: username, FullName: fullName, PasswordHash: hash}); err != nil {
		return err
	}
	return g.AddGrant(ctx, "system", username, grant)
}

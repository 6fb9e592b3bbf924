// Package storetest gives tests a real, freshly migrated database: a new
// PostgreSQL database per call (dropped when the test ends) or a new SQLite
// file. PostgreSQL is found through RENCANA_TEST_POSTGRES_URL, default
// postgres://postgres@127.0.0.1:5432/postgres; when it cannot be reached the
// test is skipped with a message, unless RENCANA_REQUIRE_POSTGRES=1 (set by
// .ci/run), where it fails.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for CREATE/DROP DATABASE

	"github.com/rencana-id/rencana/internal/store"
)

// AdminURL is the PostgreSQL server tests create their databases on.
func AdminURL() string {
	if u := os.Getenv("RENCANA_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// PostgresURL creates an empty database and returns its URL; the database is
// dropped when t ends. It skips or fails t when PostgreSQL is unreachable.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return postgresURL(t, "")
}

// PostgresICU returns a migrated store on a fresh PostgreSQL database
// whose default collation is the ICU locale given (e.g. "id-ID"), as a
// deployment's may be: what compares codes must not depend on byte order
// by accident.
func PostgresICU(t testing.TB, locale string) *store.DB {
	t.Helper()
	return open(t, postgresURL(t, fmt.Sprintf(" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '%s' LOCALE 'C.UTF-8'", locale)), "")
}

// postgresURL creates a database with the CREATE DATABASE options given,
// dropped when t ends.
func postgresURL(t testing.TB, options string) string {
	t.Helper()
	u, drop, err := CreatePostgres(options)
	if errors.Is(err, errUnreachable) {
		if os.Getenv("RENCANA_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("storetest: PostgreSQL required (RENCANA_REQUIRE_POSTGRES=1) but %v", err)
		}
		t.Skipf("storetest: %v; set RENCANA_REQUIRE_POSTGRES=1 to fail instead", err)
	}
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("storetest: %v", err)
		}
	})
	return u
}

var errUnreachable = errors.New("PostgreSQL unreachable")

// CreatePostgres creates an empty database (with the CREATE DATABASE
// options given, "" for none) and returns its URL and the function that
// drops it, for a fixture that outlives one test (a benchmark's).
func CreatePostgres(options string) (dbURL string, drop func() error, err error) {
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		return "", nil, fmt.Errorf("%w at %s: %v", errUnreachable, AdminURL(), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "rencana_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+options); err != nil {
		_ = admin.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	drop = func() error {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	u, err := url.Parse(AdminURL())
	if err != nil {
		_ = drop()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// Postgres returns a migrated store on a fresh PostgreSQL database.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return open(t, PostgresURL(t), "")
}

// SQLite returns a migrated store on a fresh SQLite file in t's temp dir.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return open(t, "", t.TempDir())
}

// Each runs fn once per dialect, as subtests named "postgres" and "sqlite",
// each on a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
}

func open(t testing.TB, databaseURL, dataDir string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, databaseURL, dataDir)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return db
}

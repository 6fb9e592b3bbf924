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
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		if os.Getenv("RENCANA_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("storetest: PostgreSQL required (RENCANA_REQUIRE_POSTGRES=1) but unreachable at %s: %v", AdminURL(), err)
		}
		t.Skipf("storetest: PostgreSQL unreachable at %s (%v); set RENCANA_REQUIRE_POSTGRES=1 to fail instead", AdminURL(), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "rencana_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		_ = admin.Close()
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
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

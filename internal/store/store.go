// Package store is rencana's only user of GORM: it opens PostgreSQL or the
// embedded SQLite, applies the migrations in schema/, and holds the queries
// the rest of the program needs behind plain Go methods.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/rencana-id/rencana/schema"
)

// Dialect names the database engine behind a DB.
type Dialect string

// The two supported engines.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DB is an open database with rencana's schema.
type DB struct {
	orm     *gorm.DB
	Dialect Dialect
	sql     *sql.DB
}

// SQLitePath is where the embedded database lives inside the data dir.
func SQLitePath(dataDir string) string { return filepath.Join(dataDir, "rencana.db") }

// Open connects to databaseURL (postgres:// or postgresql://) or, when it is
// empty, to the SQLite file in dataDir, creating the directory if needed.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	cfg := &gorm.Config{
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return time.Now().UTC() },
		TranslateError: true,
	}
	var (
		g       *gorm.DB
		dialect Dialect
		err     error
	)
	if databaseURL == "" {
		if err := os.MkdirAll(dataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		g, err = gorm.Open(sqlite.Open(sqliteDSN(SQLitePath(dataDir))), cfg)
		dialect = SQLite
	} else {
		g, err = gorm.Open(postgres.Open(databaseURL), cfg)
		dialect = Postgres
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dialect, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// One writer at a time is SQLite's rule; a single connection turns
		// would-be SQLITE_BUSY errors into a queue inside database/sql.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s: %w", dialect, err)
	}
	return &DB{orm: g, Dialect: dialect, sql: sqlDB}, nil
}

// sqliteDSN turns on WAL (readers never block the writer), foreign keys and
// a busy timeout, and makes every transaction take the write lock up front so
// two read-then-write transactions cannot deadlock.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Close releases the connections.
func (db *DB) Close() error { return db.sql.Close() }

// SQL exposes the pool for migrations and health checks.
func (db *DB) SQL() *sql.DB { return db.sql }

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// Migrate applies every pending migration of schema/<dialect>.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := db.migrations()
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	for _, r := range results {
		slog.Info("migration applied", "version", r.Source.Version, "path", r.Source.Path, "duration", r.Duration.String())
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// startupLockKey keys the PostgreSQL advisory lock that serializes the
// start-up of several processes on one database: the bytes of "rencana1"
// as an int64, so it cannot collide with goose's migration lock.
const startupLockKey int64 = 0x72656e63616e6131

// WithStartupLock runs fn while holding the start-up lock, so processes
// started together on a new database bootstrap it one after the other: the
// first applies the migrations, loads the reference data, seeds the policy
// and creates the admin; the next finds all of it done. On PostgreSQL the
// lock is a session advisory lock on a connection of its own (a process
// that dies releases it with its session). On SQLite, fn simply runs: an
// SQLite database belongs to a single process, so there is nothing to
// serialize. waiting is called once, before blocking, when another process
// holds the lock, so the caller can say what it waits for.
func (db *DB) WithStartupLock(ctx context.Context, waiting func(), fn func(ctx context.Context) error) (err error) {
	if db.Dialect != Postgres {
		return fn(ctx)
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("start-up lock: %w", err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", startupLockKey).Scan(&got); err != nil {
		return fmt.Errorf("start-up lock: %w", err)
	}
	if !got {
		if waiting != nil {
			waiting()
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", startupLockKey); err != nil {
			return fmt.Errorf("start-up lock: %w", err)
		}
	}
	defer func() {
		// A fresh context: the lock must be released even when ctx ended.
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, uerr := conn.ExecContext(uctx, "SELECT pg_advisory_unlock($1)", startupLockKey); uerr != nil && err == nil {
			err = fmt.Errorf("start-up lock: release: %w", uerr)
		}
	}()
	return fn(ctx)
}

// SchemaVersion returns the version of the newest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := db.migrations()
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

// SchemaPending reports whether migrations this binary knows are not yet
// applied (a process that does not migrate, the worker, waits for them). It
// takes no lock; on a database without any schema it fails (no version
// table), which a waiting caller treats like pending.
func (db *DB) SchemaPending(ctx context.Context) (bool, error) {
	p, err := db.migrations()
	if err != nil {
		return false, err
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return true, fmt.Errorf("schema version: %w", err)
	}
	return current < target, nil
}

func (db *DB) migrations() (*goose.Provider, error) {
	dir, err := fs.Sub(schema.FS, string(db.Dialect))
	if err != nil {
		return nil, err
	}
	if db.Dialect == SQLite {
		return goose.NewProvider(goose.DialectSQLite3, db.sql, dir)
	}
	// Several `rencana serve` instances may start at once: an advisory lock
	// makes them apply migrations one after the other.
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db.sql, dir, goose.WithSessionLocker(locker))
}

// IsUniqueViolation reports whether err is a duplicate key error of either
// engine (GORM's TranslateError maps both to gorm.ErrDuplicatedKey).
func IsUniqueViolation(err error) bool {
	return errors.Is(err, gorm.ErrDuplicatedKey) ||
		(err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed"))
}

// ExecSQL runs one statement (placeholders ?), for tests and tools that
// prepare rows no store method writes; production code adds a method.
func (db *DB) ExecSQL(ctx context.Context, q string, args ...any) error {
	return db.orm.WithContext(ctx).Exec(q, args...).Error
}

// ScanSQL runs one query (placeholders ?) into dest (a struct, a slice of
// structs or a scalar), for tests that check what the store wrote.
func (db *DB) ScanSQL(ctx context.Context, dest any, q string, args ...any) error {
	return db.orm.WithContext(ctx).Raw(q, args...).Scan(dest).Error
}

// Transaction runs fn with a DB whose every call is in one transaction,
// committed when fn returns nil.
func (db *DB) Transaction(ctx context.Context, fn func(tx *DB) error) error {
	return db.orm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(&DB{orm: tx, Dialect: db.Dialect, sql: db.sql})
	})
}

// Analyze refreshes the query planner's statistics, as PostgreSQL's
// autovacuum does on its own schedule and SQLite only when asked: after a
// bulk load, so the next query is planned on the rows that are there.
func (db *DB) Analyze(ctx context.Context) error {
	if err := db.orm.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

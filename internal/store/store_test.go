package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v1, err := db.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Positive(t, v1)
		require.NoError(t, db.Migrate(ctx), "a second migrate must be a no-op")
		v2, err := db.SchemaVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, v1, v2)

		// The foundation tables exist and enforce their constraints.
		require.NoError(t, db.ExecSQL(context.Background(), "INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)"))
		err = db.ExecSQL(context.Background(), "INSERT INTO regions (code, name, level) VALUES ('74', 'dup', 1)")
		require.True(t, store.IsUniqueViolation(err), "duplicate region code must be refused, got %v", err)
		err = db.ExecSQL(context.Background(), "INSERT INTO regions (code, name, level, parent_code) VALUES ('99.01', 'orphan', 2, '99')")
		require.Error(t, err, "a region whose parent does not exist must be refused")
	})
}

func TestDialectsAgreeOnSchemaVersion(t *testing.T) {
	ctx := context.Background()
	pg, err := storetest.Postgres(t).SchemaVersion(ctx)
	require.NoError(t, err)
	lite, err := storetest.SQLite(t).SchemaVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, pg, lite, "every migration must exist for both dialects")
}

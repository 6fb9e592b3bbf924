package demo_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"

	"github.com/rencana-id/rencana/activities"
	"github.com/rencana-id/rencana/internal/demo"
	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

func TestMain(m *testing.M) { os.Exit(devservertest.RunTests(m)) }

// TestSeedOpensTheCycleThroughItsWorkflow seeds as `rencana dev` does: the
// demo cycle is a running CycleWorkflow whose projection is the cycles row,
// so it can be moved and locked like any other.
func TestSeedOpensTheCycleThroughItsWorkflow(t *testing.T) {
	srv := devservertest.ForTest(t)
	db := storetest.SQLite(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, q := range []string{
		"INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Konawe Selatan', 2, '74')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Andoolo', 3, '74.05')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.71', 'Kota Kendari', 2, '74')",
	} {
		require.NoError(t, db.ExecSQL(context.Background(), q))
	}
	authz, err := policies.New(ctx, db)
	require.NoError(t, err)
	defer authz.Close()
	c := srv.Client()
	w := worker.New(c, workflows.TaskQueue, worker.Options{})
	a := activities.New(db)
	a.Workflows = workflows.NewDriver(c)
	workflows.Register(w, a)
	require.NoError(t, w.Start())
	defer w.Stop()

	now := time.Now().UTC()
	fy := now.Year() + 1
	t.Cleanup(func() {
		_ = c.TerminateWorkflow(context.Background(), workflows.CycleWorkflowID(demo.Province, fy), "", "test over")
	})
	open := func(ctx context.Context, cy domain.Cycle) (domain.Cycle, error) {
		got, err := workflows.CreateCycle(ctx, c, workflows.CreateCycleRequest{
			Actor:        domain.Actor{Username: cy.CreatedBy, Role: domain.RoleAdmin, Scope: domain.NationalScope},
			ProvinceCode: cy.ProvinceCode, FiscalYear: cy.FiscalYear, Calendar: cy.Calendar,
		})
		return got.Cycle, err
	}
	cycle, err := demo.Seed(ctx, db, authz, "rahasia-demo", now, open)
	require.NoError(t, err)
	require.Equal(t, domain.CycleID(demo.Province, fy), cycle.ID)
	require.Equal(t, int64(1), cycle.Version, "written by the workflow")

	row, err := db.GetCycle(ctx, cycle.ID)
	require.NoError(t, err)
	require.Equal(t, demo.Calendar(now), row.Calendar)
	live, err := workflows.GetCycle(ctx, c, cycle.ID)
	require.NoError(t, err)
	require.Equal(t, row.Calendar, live.Calendar)
	require.NoError(t, live.Calendar.Validate(fy), "the demo calendar keeps the N-1 rule")
	for _, u := range demo.Users {
		_, err := db.GetUser(ctx, u.Username)
		require.NoError(t, err, u.Username)
	}
}

// Without Temporal the row is written directly, as before.
func TestSeedWithoutTemporalWritesTheRow(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	require.NoError(t, db.ExecSQL(context.Background(), "INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)"))
	require.NoError(t, db.ExecSQL(context.Background(), "INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Konawe Selatan', 2, '74')"))
	require.NoError(t, db.ExecSQL(context.Background(), "INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Andoolo', 3, '74.05')"))
	require.NoError(t, db.ExecSQL(context.Background(), "INSERT INTO regions (code, name, level, parent_code) VALUES ('74.71', 'Kota Kendari', 2, '74')"))
	authz, err := policies.New(ctx, db)
	require.NoError(t, err)
	defer authz.Close()
	now := time.Now()
	cycle, err := demo.Seed(ctx, db, authz, "rahasia-demo", now, nil)
	require.NoError(t, err)
	row, err := db.GetCycle(ctx, cycle.ID)
	require.NoError(t, err)
	require.Equal(t, int64(0), row.Version)
}

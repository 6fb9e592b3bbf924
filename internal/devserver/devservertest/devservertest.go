// Package devservertest shares one Temporal dev server among the tests of a
// package. It links testing, so it is imported by tests only, never by a
// command (internal/devserver is what commands use).
package devservertest

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rencana-id/rencana/internal/devserver"
)

var shared struct {
	once sync.Once
	srv  *devserver.Server
	err  error
}

// ForTest returns a dev server shared by all tests of the package, started on
// first use on a free port with in-memory persistence. The package's
// TestMain must call StopShared after m.Run (see RunTests).
func ForTest(t testing.TB) *devserver.Server {
	t.Helper()
	RequireCLI(t)
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.srv, shared.err = devserver.Start(ctx, devserver.Options{HostPort: ""})
	})
	if shared.err != nil {
		t.Fatalf("devserver: %v", shared.err)
	}
	return shared.srv
}

// RunTests runs the package's tests and stops the shared server, if one was
// started: `func TestMain(m *testing.M) { os.Exit(devservertest.RunTests(m)) }`.
func RunTests(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		_ = shared.srv.Stop()
	}
	return code
}

// RequireCLI skips t when the Temporal CLI is not there and the test runs
// by hand: RENCANA_TEMPORAL_CLI unset and bin/temporal missing. `make
// build` builds it; `make test` builds it and exports RENCANA_TEMPORAL_CLI,
// so under make a missing CLI fails (in devserver.Start) instead of
// skipping.
func RequireCLI(t testing.TB) {
	t.Helper()
	if os.Getenv("RENCANA_TEMPORAL_CLI") != "" {
		return
	}
	path, err := devserver.DefaultCLIPath()
	if err == nil {
		if _, err = os.Stat(path); err == nil {
			return
		}
	}
	t.Skipf("needs the Temporal CLI at bin/temporal (%v): run `make build` once, or run the tests with `make test`", err)
}

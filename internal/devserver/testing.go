package devserver

import (
	"context"
	"sync"
	"testing"
	"time"
)

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// ForTest returns a dev server shared by all tests of the package, started on
// first use on a free port with in-memory persistence. The package's
// TestMain must call StopShared after m.Run (see RunTests).
func ForTest(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		shared.srv, shared.err = Start(ctx, Options{HostPort: ""})
	})
	if shared.err != nil {
		t.Fatalf("devserver: %v", shared.err)
	}
	return shared.srv
}

// RunTests runs the package's tests and stops the shared server, if one was
// started: `func TestMain(m *testing.M) { os.Exit(devserver.RunTests(m)) }`.
func RunTests(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		_ = shared.srv.Stop()
	}
	return code
}

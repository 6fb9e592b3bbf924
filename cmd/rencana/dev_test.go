package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/devserver"
	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/rencana-id/rencana/internal/store"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	p, err := devserver.FreePort()
	require.NoError(t, err)
	return fmt.Sprint(p)
}

// startDev runs `rencana dev` in the background and waits for /readyz.
func startDev(t *testing.T, addr, dataDir string, env map[string]string, args ...string) (stop func(), out *syncBuffer, took time.Duration) {
	t.Helper()
	devservertest.RequireCLI(t)
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		errc <- run(ctx, append([]string{"dev", "--addr", addr, "--data-dir", dataDir}, args...), func(k string) string { return env[k] }, out, out)
	}()
	var early error
	exited := false
	require.Eventually(t, func() bool {
		select {
		case early = <-errc:
			exited = true // stop waiting; reported below on the test goroutine
			return true
		default:
		}
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 3*time.Minute, 200*time.Millisecond, "readyz never answered 200")
	if exited {
		t.Fatalf("rencana dev exited early: %v\n%s", early, out.String())
	}
	took = time.Since(start)
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-errc:
			require.NoError(t, err, out.String())
		case <-time.After(time.Minute):
			t.Fatalf("rencana dev did not stop after cancel\n%s", out.String())
		}
	}
	t.Cleanup(stop)
	return stop, out, took
}

func login(t *testing.T, addr, username, password string) map[string]any {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)
	resp, err := http.Post("http://"+addr+"/api/v1/auth/login", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	return out
}

// TestDevFirstAndSecondStart is what a newcomer does with `make run`: the
// stack comes up with reference and demo data, the demo login works, Ctrl-C
// stops everything including the Temporal child, and a second start reuses
// the data.
func TestDevFirstAndSecondStart(t *testing.T) {
	dataDir := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	temporalPort := freePort(t)
	env := map[string]string{
		"RENCANA_TEMPORAL_DEV_PORT": temporalPort,
		"RENCANA_TEMPORAL_UI_PORT":  freePort(t),
		"RENCANA_ADMIN_PASSWORD":    "admin-rahasia-123",
	}

	stop, out, took := startDev(t, addr, dataDir, env)
	t.Logf("first start ready in %s", took.Round(time.Millisecond))
	require.Contains(t, out.String(), "http://"+addr)
	require.Contains(t, out.String(), "Temporal UI")
	require.Contains(t, out.String(), "admin-rahasia-123")

	creds := readCredentials(filepath.Join(dataDir, "credentials.txt"))
	require.NotEmpty(t, creds.Demo)
	require.Contains(t, out.String(), creds.Demo, "the demo password is printed")
	info, err := os.Stat(filepath.Join(dataDir, "credentials.txt"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	res := login(t, addr, "kec.andoolo", creds.Demo)
	roles := res["user"].(map[string]any)["roles"].([]any)
	require.Equal(t, "perencana_kecamatan", roles[0].(map[string]any)["role"])
	require.Equal(t, "74.05.03", roles[0].(map[string]any)["scope"])
	login(t, addr, "admin", "admin-rahasia-123")

	db, err := store.Open(context.Background(), "", dataDir)
	require.NoError(t, err)
	n, err := db.CountRegions(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 91599, n)
	cycles, err := db.ListCycles(context.Background())
	require.NoError(t, err)
	require.Len(t, cycles, 1)
	require.Equal(t, fmt.Sprintf("74-%d", time.Now().UTC().Year()+1), cycles[0].ID)
	require.NoError(t, db.Close())

	stop()
	// The Temporal child is gone: its port is free again.
	l, err := net.Listen("tcp", "127.0.0.1:"+temporalPort)
	require.NoError(t, err, "the Temporal dev server must stop with rencana")
	require.NoError(t, l.Close())

	// Second start: same data, no second seeding, same passwords.
	delete(env, "RENCANA_ADMIN_PASSWORD")
	_, out2, took2 := startDev(t, addr, dataDir, env)
	t.Logf("second start ready in %s", took2.Round(time.Millisecond))
	require.NotContains(t, out2.String(), "demo data created")
	require.Contains(t, out2.String(), creds.Demo)
	login(t, addr, "kec.andoolo", creds.Demo)
	login(t, addr, "admin", "admin-rahasia-123")
}

// TestDevNoDemo: `rencana dev --no-demo` starts clean: the admin account
// only, no demo users, cycle or proposals, and says so.
func TestDevNoDemo(t *testing.T) {
	dataDir := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	env := map[string]string{"RENCANA_TEMPORAL_DEV_PORT": freePort(t), "RENCANA_TEMPORAL_UI_PORT": freePort(t),
		"RENCANA_ADMIN_PASSWORD": "admin-rahasia-123"}
	stop, out, _ := startDev(t, addr, dataDir, env, "--no-demo")
	require.Contains(t, out.String(), "No demo data")
	require.NotContains(t, out.String(), "kec.andoolo")
	login(t, addr, "admin", "admin-rahasia-123")
	stop()
	db, err := store.Open(context.Background(), "", dataDir)
	require.NoError(t, err)
	defer db.Close()
	cycles, err := db.ListCycles(context.Background())
	require.NoError(t, err)
	require.Empty(t, cycles)
	n, err := db.CountUsers(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the admin only")
}

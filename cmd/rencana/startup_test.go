package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/devserver"
	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// inProcess is one `rencana <subcommand>` run in this test process through
// run(), the same code path as the binary's main, with its own environment
// and log.
type inProcess struct {
	name   string
	out    *syncBuffer
	cancel context.CancelFunc
	errc   chan error
	once   sync.Once
	err    error
}

func startInProcess(t *testing.T, name string, args []string, env map[string]string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &inProcess{name: name, out: &syncBuffer{}, cancel: cancel, errc: make(chan error, 1)}
	go func() { p.errc <- run(ctx, args, func(k string) string { return env[k] }, io.Discard, p.out) }()
	t.Cleanup(func() {
		if err := p.stop(); err != nil && !t.Failed() {
			t.Errorf("%s: %v\n%s", name, err, p.out.String())
		}
	})
	return p
}

// stop cancels the process's context (SIGTERM for the binary) and waits
// for it to return.
func (p *inProcess) stop() error {
	p.once.Do(func() {
		p.cancel()
		select {
		case p.err = <-p.errc:
		case <-time.After(time.Minute):
			p.err = context.DeadlineExceeded
		}
	})
	return p.err
}

// exited reports whether the process returned already, and with what.
func (p *inProcess) exited() (bool, error) {
	select {
	case err := <-p.errc:
		p.once.Do(func() { p.err = err })
		return true, err
	default:
		return false, nil
	}
}

// getStatus answers the status of GET url, or 0 when nothing answers.
func getStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// awaitReady waits until url answers 200 while p runs; p exiting first
// fails the test with its log.
func awaitReady(t *testing.T, p *inProcess, url string, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		if done, err := p.exited(); done {
			t.Fatalf("%s exited before it was ready: %v\n%s", p.name, err, p.out.String())
		}
		return getStatus(url) == http.StatusOK
	}, within, 200*time.Millisecond, "%s: %s never answered 200\n%s", p.name, url, p.out.String())
}

func serveEnv(databaseURL, temporalAddr, namespace string) map[string]string {
	return map[string]string{
		"DATABASE_URL":           databaseURL,
		"TEMPORAL_ADDRESS":       temporalAddr,
		"TEMPORAL_NAMESPACE":     namespace,
		"RENCANA_JWT_SECRET":     "topology-test-secret-0123456789abcdef",
		"RENCANA_ADMIN_PASSWORD": "admin-rahasia-123",
		"RENCANA_LOG_FORMAT":     "text",
		"RENCANA_SECURE_COOKIES": "false",
	}
}

// TestTwoServesStartTogetherOnAFreshDatabase starts two `rencana serve` at
// the same moment on one new PostgreSQL database: both come up (one
// migrates, loads the reference data and creates the admin under the
// start-up lock, the other waits for it), the admin exists once, and both
// log it in.
func TestTwoServesStartTogetherOnAFreshDatabase(t *testing.T) {
	srv := devservertest.ForTest(t)
	url := storetest.PostgresURL(t)
	env := serveEnv(url, srv.HostPort(), srv.Namespace())
	addrs := []string{"127.0.0.1:" + freePort(t), "127.0.0.1:" + freePort(t)}
	var procs []*inProcess
	for _, a := range addrs {
		procs = append(procs, startInProcess(t, "serve "+a, []string{"serve", "--addr", a}, env))
	}
	for i, a := range addrs {
		awaitReady(t, procs[i], "http://"+a+"/readyz", 3*time.Minute)
	}
	for _, a := range addrs {
		out := login(t, a, "admin", "admin-rahasia-123")
		require.NotEmpty(t, out["token"])
	}
	created := 0
	for _, p := range procs {
		created += strings.Count(p.out.String(), "created admin user")
	}
	require.Equal(t, 1, created, "exactly one instance creates the admin")

	ctx := context.Background()
	db, err := store.Open(ctx, url, "")
	require.NoError(t, err)
	defer db.Close()
	pending, err := db.SchemaPending(ctx)
	require.NoError(t, err)
	require.False(t, pending)
}

// TestServeAndWorkerWaitForTemporal starts serve and worker before
// Temporal is up: both stay up, log that they wait for Temporal, the
// worker's /healthz answers while its /readyz says it is not ready; once a
// Temporal server listens on the address, both become ready.
func TestServeAndWorkerWaitForTemporal(t *testing.T) {
	url := storetest.PostgresURL(t)
	temporalAddr := "127.0.0.1:" + freePort(t)
	env := serveEnv(url, temporalAddr, "default")
	apiAddr, opsAddr := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	serve := startInProcess(t, "serve", []string{"serve", "--addr", apiAddr}, env)
	worker := startInProcess(t, "worker", []string{"worker", "--metrics-addr", opsAddr}, env)

	waiting := func(p *inProcess) func() bool {
		return func() bool {
			if done, err := p.exited(); done {
				t.Fatalf("%s exited instead of waiting for Temporal: %v\n%s", p.name, err, p.out.String())
			}
			return strings.Contains(p.out.String(), "waiting for Temporal at "+temporalAddr)
		}
	}
	require.Eventually(t, waiting(serve), 3*time.Minute, 100*time.Millisecond, "serve never said it waits for Temporal\n%s", serve.out.String())
	require.Eventually(t, waiting(worker), time.Minute, 100*time.Millisecond, "worker never said it waits for Temporal\n%s", worker.out.String())
	require.Equal(t, http.StatusOK, getStatus("http://"+opsAddr+"/healthz"), "the worker is alive while it waits")
	require.Equal(t, http.StatusServiceUnavailable, getStatus("http://"+opsAddr+"/readyz"), "but not ready")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dev, err := devserver.Start(ctx, devserver.Options{HostPort: temporalAddr})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dev.Stop() })

	awaitReady(t, serve, "http://"+apiAddr+"/readyz", 2*time.Minute)
	awaitReady(t, worker, "http://"+opsAddr+"/readyz", 2*time.Minute)
	require.Contains(t, serve.out.String(), "is available")
}

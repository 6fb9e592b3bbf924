package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/internal/devserver"
	"github.com/rencana-id/rencana/workflows"
)

// The production topology test needs the Temporal server and
// temporal-sql-tool built from source (once per version into bin/, by
// `make test` and `make test-topology`); `make bench-topology` brings the
// same topology up with startTopology and drives rencana-bench against it.

// moduleRoot is the directory of go.mod (tests run in cmd/rencana).
func moduleRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	return root
}

// toolPath is $env or bin/<name> under the module root; the Makefile
// builds both before `make test` (once per version).
func toolPath(t testing.TB, env, name string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		p = filepath.Join(moduleRoot(t), "bin", name)
	}
	_, err := os.Stat(p)
	require.NoError(t, err, "%s not found: run `make temporal-server` (builds bin/%s once)", p, name)
	return p
}

// lowPort is a free TCP port below 32768: Temporal stores membership
// ports in a smallint column on PostgreSQL.
func lowPort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		p := 20000 + mrand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			_ = l.Close()
			return p
		}
	}
	t.Fatal("no free port below 32768")
	return 0
}

// privatePostgres is a PostgreSQL cluster of the test's own, in a temp
// dir on its own port, so that restarting it disturbs no one else (the
// machine's cluster serves the other tests).
type privatePostgres struct {
	t          testing.TB
	dir, port  string
	bin        string
	asPostgres bool
}

func startPrivatePostgres(t testing.TB) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	require.NotEmpty(t, bins, "PostgreSQL server binaries (initdb) not found")
	dir, err := os.MkdirTemp("", "rencana-topology-pg-")
	require.NoError(t, err)
	pg := &privatePostgres{t: t, dir: dir, port: fmt.Sprint(lowPort(t)), bin: filepath.Dir(bins[len(bins)-1]), asPostgres: os.Geteuid() == 0}
	if pg.asPostgres { // initdb refuses to run as root
		require.NoError(t, exec.Command("chown", "-R", "postgres:postgres", dir).Run())
	}
	pg.run("initdb", "-D", dir+"/data", "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	pg.run("pg_ctl", "-D", dir+"/data", "-l", dir+"/log", "-w", "-o", pg.opts(), "start")
	t.Cleanup(func() {
		_ = pg.cmd("pg_ctl", "-D", dir+"/data", "-m", "immediate", "-w", "stop").Run()
		_ = os.RemoveAll(dir)
	})
	return pg
}

func (pg *privatePostgres) opts() string {
	return "-p " + pg.port + " -k " + pg.dir + " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c shared_buffers=32MB"
}

func (pg *privatePostgres) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, name)
	if pg.asPostgres {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (pg *privatePostgres) run(name string, args ...string) {
	pg.t.Helper()
	out, err := pg.cmd(name, args...).CombinedOutput()
	require.NoError(pg.t, err, "%s: %s", name, out)
}

// restart is a fast shutdown and start: every connection is cut.
func (pg *privatePostgres) restart() {
	// -l: the restarted server must not inherit this command's output pipe,
	// or waiting for the command waits for the server's whole life.
	pg.run("pg_ctl", "-D", pg.dir+"/data", "-l", pg.dir+"/log", "-m", "fast", "-w", "-o", pg.opts(), "restart")
}

func (pg *privatePostgres) url(db string) string {
	return "postgres://postgres@127.0.0.1:" + pg.port + "/" + db + "?sslmode=disable"
}

// child is a process of the topology, its output in a log file.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
}

func startChild(t testing.TB, name string, env []string, path string, args ...string) *child {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(t, cmd.Start())
	c := &child{name: name, cmd: cmd, log: logPath}
	t.Cleanup(func() {
		c.stop()
		_ = f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("--- %s (last lines) ---\n%s", name, b)
		}
	})
	return c
}

// kill is a crash: SIGKILL, nothing flushed or drained.
func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		_ = c.cmd.Wait()
	}
}

// stop is an orderly stop (SIGTERM), a kill after 20 s.
func (c *child) stop() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		c.kill()
	}
}

// TestProductionTopology is the README's production steps without Docker,
// as an operator performs them: a Temporal server 1.29.1 on PostgreSQL
// (schema made with temporal-sql-tool, namespace created with the CLI),
// two `rencana serve` and two `rencana worker` processes against it and
// PostgreSQL. Proposals go through every stage with requests alternating
// between both APIs while a worker is SIGKILLed (submit), an API is
// SIGKILLed (approve) and PostgreSQL is restarted (accept). Every action is
// then recorded exactly once in the projection and once in Temporal's
// history, and no workflow is left with a pending task or activity.
func TestProductionTopology(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	top := startTopology(t, ctx)
	pg, apis, workers, startAPI, startWorker := top.pg, top.apis, top.workers, top.startAPI, top.startWorker
	temporalAddr := top.temporalAddr

	d := newDriver(t, top.apiURLs()...)
	require.NoError(t, d.setup(ctx, top.adminPassword))
	const n = 6
	var ids []string
	for i := range n {
		id, err := d.create(ctx, fmt.Sprintf("topologi-%d", i), i)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	faults := map[string]func(){
		"submit": func() {
			workers[0].kill()
			workers[0] = startWorker(0)
		},
		"approve": func() {
			apis[0].kill()
			apis[0] = startAPI(0)
		},
		"accept": pg.restart,
	}
	require.NoError(t, d.lifecycle(ctx, ids, 3, faults))
	t.Logf("requests retried: %d, actions found done on re-reading: %d", d.retries.Load(), d.landed.Load())

	// Exactly once in the projection...
	want := []string{"create", "submit", "approve", "accept", "consolidate", "lock", "fund", "map"}
	for _, id := range ids {
		var p drvProposal
		require.NoError(t, d.get(ctx, "/api/v1/proposals/"+id, d.admin, &p))
		require.Equal(t, "final", p.Stage, id)
		var h struct {
			Items []struct {
				Action string `json:"action"`
			} `json:"items"`
		}
		require.NoError(t, d.get(ctx, "/api/v1/proposals/"+id+"/history", d.admin, &h))
		var got []string
		for _, e := range h.Items {
			got = append(got, e.Action)
		}
		require.Equal(t, want, got, "projection of %s", id)
	}
	// ...and in Temporal's history, with nothing stuck.
	tc, err := client.Dial(client.Options{HostPort: temporalAddr, Namespace: "default"})
	require.NoError(t, err)
	defer tc.Close()
	for _, id := range ids {
		wid := workflows.ProposalWorkflowID(id)
		names := map[string]string{} // update id -> name
		var done []string
		it := tc.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			if a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
				names[a.GetAcceptedRequest().GetMeta().GetUpdateId()] = a.GetAcceptedRequest().GetInput().GetName()
			}
			if c := ev.GetWorkflowExecutionUpdateCompletedEventAttributes(); c != nil && c.GetOutcome().GetFailure() == nil {
				done = append(done, names[c.GetMeta().GetUpdateId()])
			}
		}
		// The cycle's two date moves reach each open proposal as an Update
		// of their own, between the phases.
		wantHistory := []string{"create", "submit", "approve", "move_calendar", "accept", "consolidate", "move_calendar", "lock", "fund", "map"}
		require.Equal(t, wantHistory, done, "successful Updates in Temporal's history of %s", id)
		desc, err := tc.DescribeWorkflowExecution(ctx, wid, "")
		require.NoError(t, err)
		require.Empty(t, desc.GetPendingActivities(), "%s has no pending activity", id)
		require.Nil(t, desc.GetPendingWorkflowTask(), "%s has no pending workflow task", id)
	}
	cdesc, err := tc.DescribeWorkflowExecution(ctx, workflows.CycleWorkflowID(drvProvince, d.fy), "")
	require.NoError(t, err)
	require.Empty(t, cdesc.GetPendingActivities(), "the cycle has no pending activity")
}

// topology is the production topology of README.md "Production without
// Docker", running: a Temporal server 1.29.1 on a private PostgreSQL
// cluster, two `rencana serve` and two `rencana worker`, all ready.
type topology struct {
	pg                    *privatePostgres
	temporalAddr          string
	apiAddrs, opsAddrs    []string
	apis, workers         []*child
	startAPI, startWorker func(i int) *child
	adminPassword         string
}

// apiURLs are the base URLs of the two APIs.
func (top *topology) apiURLs() []string {
	return []string{"http://" + top.apiAddrs[0], "http://" + top.apiAddrs[1]}
}

// startTopology performs the README's Docker-less production steps and
// returns once both APIs and both workers are ready; t's cleanup stops it.
func startTopology(t testing.TB, ctx context.Context) *topology {
	server := toolPath(t, "RENCANA_TEMPORAL_SERVER", "temporal-server-v1.29.1")
	sqlTool := toolPath(t, "RENCANA_TEMPORAL_SQL_TOOL", "temporal-sql-tool-v1.29.1")
	cli, err := devserver.DefaultCLIPath()
	require.NoError(t, err)

	pg := startPrivatePostgres(t)
	// Temporal's schema, exactly as README.md "Production without Docker".
	sql := func(db string, args ...string) {
		t.Helper()
		base := []string{"--plugin", "postgres12", "--ep", "127.0.0.1", "-p", pg.port, "-u", "postgres", "--db", db}
		out, err := exec.CommandContext(ctx, sqlTool, append(base, args...)...).CombinedOutput()
		require.NoError(t, err, "temporal-sql-tool %v: %s", args, out)
	}
	for db, schema := range map[string]string{"temporal": "postgresql/v12/temporal", "temporal_visibility": "postgresql/v12/visibility"} {
		sql(db, "create-database")
		sql(db, "setup-schema", "-v", "0.0")
		sql(db, "update-schema", "--schema-name", schema)
	}
	out, err := exec.CommandContext(ctx, "psql", "-h", "127.0.0.1", "-p", pg.port, "-U", "postgres", "-c", "CREATE DATABASE rencana").CombinedOutput()
	require.NoError(t, err, "%s", out)

	root := moduleRoot(t)
	frontend := lowPort(t)
	tenv := []string{
		"POSTGRES_SEEDS=127.0.0.1", "DB_PORT=" + pg.port, "POSTGRES_USER=postgres", "POSTGRES_PWD=",
		fmt.Sprintf("TEMPORAL_FRONTEND_PORT=%d", frontend), fmt.Sprintf("TEMPORAL_FRONTEND_HTTP_PORT=%d", lowPort(t)),
		fmt.Sprintf("TEMPORAL_HISTORY_PORT=%d", lowPort(t)), fmt.Sprintf("TEMPORAL_MATCHING_PORT=%d", lowPort(t)),
		fmt.Sprintf("TEMPORAL_WORKER_PORT=%d", lowPort(t)),
		fmt.Sprintf("TEMPORAL_FRONTEND_MEMBERSHIP_PORT=%d", lowPort(t)), fmt.Sprintf("TEMPORAL_HISTORY_MEMBERSHIP_PORT=%d", lowPort(t)),
		fmt.Sprintf("TEMPORAL_MATCHING_MEMBERSHIP_PORT=%d", lowPort(t)), fmt.Sprintf("TEMPORAL_WORKER_MEMBERSHIP_PORT=%d", lowPort(t)),
		fmt.Sprintf("TEMPORAL_METRICS_ADDR=127.0.0.1:%d", lowPort(t)),
		"TEMPORAL_DYNAMIC_CONFIG=" + filepath.Join(root, "deploy/temporal/config/dynamicconfig/production.yaml"),
	}
	startChild(t, "temporal-server", tenv, server, "--root", filepath.Join(root, "deploy/temporal"), "--config", "config", "--env", "production", "--allow-no-auth", "start")
	temporalAddr := fmt.Sprintf("127.0.0.1:%d", frontend)
	require.Eventually(t, func() bool {
		return exec.CommandContext(ctx, cli, "operator", "cluster", "health", "--address", temporalAddr).Run() == nil
	}, 2*time.Minute, 500*time.Millisecond, "the Temporal server never answered")
	out, err = exec.CommandContext(ctx, cli, "operator", "namespace", "create", "--namespace", "default", "--retention", "30d", "--address", temporalAddr).CombinedOutput()
	require.NoError(t, err, "%s", out)

	self, err := os.Executable()
	require.NoError(t, err)
	env := []string{"DATABASE_URL=" + pg.url("rencana"), "TEMPORAL_ADDRESS=" + temporalAddr, "TEMPORAL_NAMESPACE=default",
		"RENCANA_JWT_SECRET=topology-test-secret-0123456789abcdef", "RENCANA_ADMIN_PASSWORD=admin-rahasia-123",
		"RENCANA_LOG_LEVEL=warn", "RENCANA_SECURE_COOKIES=false"}
	apiAddrs := []string{fmt.Sprintf("127.0.0.1:%d", lowPort(t)), fmt.Sprintf("127.0.0.1:%d", lowPort(t))}
	opsAddrs := []string{fmt.Sprintf("127.0.0.1:%d", lowPort(t)), fmt.Sprintf("127.0.0.1:%d", lowPort(t))}
	startAPI := func(i int) *child {
		return startChild(t, fmt.Sprintf("api-%d", i), append(env, childArgsEnv+"=serve --addr "+apiAddrs[i]), self, "-test.run=^$")
	}
	startWorker := func(i int) *child {
		return startChild(t, fmt.Sprintf("worker-%d", i), append(env, childArgsEnv+"=worker --metrics-addr "+opsAddrs[i]), self, "-test.run=^$")
	}
	apis := []*child{startAPI(0), startAPI(1)} // together, on a new database
	workers := []*child{startWorker(0), startWorker(1)}
	ready := func(url string) func() bool { return func() bool { return getStatus(url) == http.StatusOK } }
	for i := range 2 {
		require.Eventually(t, ready("http://"+apiAddrs[i]+"/readyz"), 3*time.Minute, 300*time.Millisecond, "api %d not ready", i)
		require.Eventually(t, ready("http://"+opsAddrs[i]+"/readyz"), 2*time.Minute, 300*time.Millisecond, "worker %d not ready", i)
	}
	return &topology{pg: pg, temporalAddr: temporalAddr, apiAddrs: apiAddrs, opsAddrs: opsAddrs, apis: apis, workers: workers,
		startAPI: startAPI, startWorker: startWorker, adminPassword: "admin-rahasia-123"}
}

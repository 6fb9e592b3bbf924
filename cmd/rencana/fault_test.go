package main

import (
	"context"
	"fmt"
	"io"
	"net"
	neturl "net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/internal/store/storetest"
	"github.com/rencana-id/rencana/workflows"
)

// workerChildEnv makes the test binary run `rencana worker` instead of the
// tests: the fault test starts it as a real process so it can SIGKILL it.
const workerChildEnv = "RENCANA_TEST_WORKER_CHILD"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		os.Exit(runChild(strings.Fields(args)))
	}
	if os.Getenv(workerChildEnv) == "1" {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		if err := run(ctx, []string{"worker"}, os.Getenv, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "worker child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(devservertest.RunTests(m))
}

// workerProcess is `rencana worker` in a child process.
type workerProcess struct{ cmd *exec.Cmd }

func startWorkerProcess(t *testing.T, databaseURL, temporalAddr, namespace string) *workerProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerChildEnv+"=1", "DATABASE_URL="+databaseURL,
		"TEMPORAL_ADDRESS="+temporalAddr, "TEMPORAL_NAMESPACE="+namespace, "RENCANA_LOG_LEVEL=warn",
		"RENCANA_METRICS_ADDR=127.0.0.1:0") // any free port: tests run side by side
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	require.NoError(t, cmd.Start())
	p := &workerProcess{cmd: cmd}
	t.Cleanup(p.kill)
	return p
}

// kill is a crash: SIGKILL, no graceful stop, whatever the worker was doing.
func (p *workerProcess) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// TestWorkerKilledMidLifecycleLosesNothing drives a proposal to final while
// the worker process is SIGKILLed as each decision is sent and a new one is
// started: every decision is answered once, and the database holds exactly
// one event per transition, in order.
func TestWorkerKilledMidLifecycleLosesNothing(t *testing.T) {
	srv := devservertest.ForTest(t)
	url := storetest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	db, err := store.Open(ctx, url, "")
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Migrate(ctx))
	for _, q := range []string{
		"INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Konawe Selatan', 2, '74')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Andoolo', 3, '74.05')",
	} {
		require.NoError(t, db.ExecSQL(ctx, q))
	}
	now := time.Now().UTC().Truncate(time.Second)
	// Rakorda is in session now and every later deadline is ahead, so the
	// whole lifecycle can run on the real clock.
	cal := domain.Calendar{
		SubmissionDeadline: now.Add(time.Hour), ReviewDeadline: now.Add(2 * time.Hour),
		RakordaStart: now.Add(-time.Hour), RakordaEnd: now.Add(3 * time.Hour),
		ConsolidationDeadline: now.Add(4 * time.Hour), MinistryDeadline: now.Add(5 * time.Hour),
		MappingDeadline: now.Add(6 * time.Hour),
	}
	require.NoError(t, db.SaveCycle(ctx, domain.Cycle{ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, CreatedBy: "kadis.sultra", Calendar: cal}))

	c := srv.Client()
	worker := startWorkerProcess(t, url, srv.HostPort(), srv.Namespace())
	id := fmt.Sprintf("fault-kill-%d", time.Now().UnixNano())
	planner := domain.Actor{Username: "kec.andoolo", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
	p, err := workflows.Create(ctx, c, workflows.ProposalInput{ProposalID: id, CycleID: "74-2027", Calendar: cal},
		workflows.CreateRequest{Actor: planner, Draft: workflows.Draft{
			RegionCode: "74.05.03", Title: "Pelatihan pengemasan produk UMKM", Description: "Pelatihan dan label halal",
			Category: "pelatihan", AmountIDR: 150_000_000, FundingSource: "apbd_kabkota",
			Indicators: []domain.Indicator{{Name: "Pelaku UMKM terlatih", Target: 30, Unit: "orang"}},
		}})
	require.NoError(t, err)
	require.Equal(t, domain.StageDraft, p.Stage)

	type decision struct {
		action domain.Action
		req    workflows.ActionRequest
		to     domain.Stage
	}
	steps := []decision{
		{domain.ActionSubmit, workflows.ActionRequest{Actor: domain.Actor{Username: "camat.andoolo", Role: domain.RoleCamat, Scope: "74.05.03"}}, domain.StageKabKotaReview},
		{domain.ActionApprove, workflows.ActionRequest{Actor: domain.Actor{Username: "kabid.konsel", Role: domain.RoleReviewerKabKota, Scope: "74.05"}}, domain.StageRakorda},
		{domain.ActionAccept, workflows.ActionRequest{Actor: domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}}, domain.StageConsolidation},
		{domain.ActionConsolidate, workflows.ActionRequest{Actor: domain.Actor{Username: "perencana.sultra", Role: domain.RolePerencanaProvinsi, Scope: "74"},
			Priority: 1, ConsolidatedAmountIDR: 140_000_000, FundingSource: "apbd_provinsi"}, domain.StageConsolidation},
	}
	for i, s := range steps {
		done := make(chan error, 1)
		go func() {
			got, err := workflows.Act(ctx, c, id, s.action, s.req)
			if err == nil && got.Stage != s.to {
				err = fmt.Errorf("%s: stage %s, want %s", s.action, got.Stage, s.to)
			}
			done <- err
		}()
		// Crash the worker as the decision arrives: before, during or
		// after its task, depending on timing; every case must end the same.
		worker.kill()
		worker = startWorkerProcess(t, url, srv.HostPort(), srv.Namespace())
		select {
		case err := <-done:
			require.NoError(t, err, "step %d (%s)", i, s.action)
		case <-ctx.Done():
			t.Fatalf("step %d (%s) never answered", i, s.action)
		}
	}
	kadis := domain.Actor{Username: "kadis.sultra", Role: domain.RoleKadisProvinsi, Scope: "74"}
	_, err = workflows.Lock(ctx, c, id, workflows.ActionRequest{Actor: kadis})
	require.NoError(t, err)
	worker.kill()
	startWorkerProcess(t, url, srv.HostPort(), srv.Namespace()) // killed by its cleanup
	_, err = workflows.Act(ctx, c, id, domain.ActionFund, workflows.ActionRequest{
		Actor: domain.Actor{Username: "penghubung.kemenkop", Role: domain.RolePenghubungKementrian, Scope: "*"}, FundingSource: "apbn_dekonsentrasi"})
	require.NoError(t, err)
	p, err = workflows.Act(ctx, c, id, domain.ActionMap, workflows.ActionRequest{
		Actor: domain.Actor{Username: "perencana.konsel", Role: domain.RolePerencanaKabKota, Scope: "74.05"}, SIPDCode: "2.17.05.2.01.0001"})
	require.NoError(t, err)
	require.Equal(t, domain.StageFinal, p.Stage)

	row, err := db.GetProposal(ctx, id)
	require.NoError(t, err)
	require.Equal(t, domain.StageFinal, row.Stage)
	require.Equal(t, p.Version, row.Version)
	events, err := db.ListProposalEvents(ctx, id)
	require.NoError(t, err)
	var actions []string
	for i, ev := range events {
		require.Equal(t, int64(i+1), ev.Seq, "events are numbered without gaps or repeats")
		actions = append(actions, ev.Action)
	}
	require.Equal(t, []string{"create", "submit", "approve", "accept", "consolidate", "lock", "fund", "map"}, actions)
}

// pgProxy is a TCP relay between the worker and PostgreSQL that the test can
// cut: the database becomes unreachable for the worker without touching
// the server the rest of the tests share.
type pgProxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &pgProxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() { l.Close(); p.setDown(true) })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.relay(c)
		}
	}()
	return p
}

func (p *pgProxy) relay(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(s, c); s.Close(); c.Close() }()
	_, _ = io.Copy(c, s)
	s.Close()
	c.Close()
}

// setDown cuts every open connection and refuses new ones, or lets them in
// again.
func (p *pgProxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]struct{}{}
	}
}

// TestDatabaseOutageDelaysButLosesNothing: while the worker cannot reach
// PostgreSQL, a decision is not answered (it is not durable in the
// projection yet); once the database is back, it is answered and recorded
// exactly once.
func TestDatabaseOutageDelaysButLosesNothing(t *testing.T) {
	srv := devservertest.ForTest(t)
	direct := storetest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db, err := store.Open(ctx, direct, "")
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Migrate(ctx))
	now := time.Now().UTC().Truncate(time.Second)
	cal := domain.Calendar{
		SubmissionDeadline: now.Add(time.Hour), ReviewDeadline: now.Add(2 * time.Hour),
		RakordaStart: now.Add(3 * time.Hour), RakordaEnd: now.Add(4 * time.Hour),
		ConsolidationDeadline: now.Add(5 * time.Hour), MinistryDeadline: now.Add(6 * time.Hour),
		MappingDeadline: now.Add(7 * time.Hour),
	}
	for _, q := range []string{
		"INSERT INTO regions (code, name, level) VALUES ('74', 'Sulawesi Tenggara', 1)",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05', 'Kabupaten Konawe Selatan', 2, '74')",
		"INSERT INTO regions (code, name, level, parent_code) VALUES ('74.05.03', 'Andoolo', 3, '74.05')",
	} {
		require.NoError(t, db.ExecSQL(ctx, q))
	}
	require.NoError(t, db.SaveCycle(ctx, domain.Cycle{ID: "74-2027", ProvinceCode: "74", FiscalYear: 2027, CreatedBy: "kadis.sultra", Calendar: cal}))

	u, err := neturl.Parse(direct)
	require.NoError(t, err)
	proxy := newPGProxy(t, u.Host)
	u.Host = proxy.l.Addr().String()
	startWorkerProcess(t, u.String(), srv.HostPort(), srv.Namespace())

	c := srv.Client()
	id := fmt.Sprintf("fault-db-%d", time.Now().UnixNano())
	planner := domain.Actor{Username: "kec.andoolo", Role: domain.RolePerencanaKecamatan, Scope: "74.05.03"}
	_, err = workflows.Create(ctx, c, workflows.ProposalInput{ProposalID: id, CycleID: "74-2027", Calendar: cal},
		workflows.CreateRequest{Actor: planner, Draft: workflows.Draft{
			RegionCode: "74.05.03", Title: "Bazar produk UMKM", Description: "Bazar bulanan di alun-alun",
			Category: "bazar", AmountIDR: 80_000_000, FundingSource: "apbd_kabkota",
			Indicators: []domain.Indicator{{Name: "UMKM peserta", Target: 40, Unit: "unit usaha"}},
		}})
	require.NoError(t, err)

	proxy.setDown(true)
	done := make(chan error, 1)
	go func() {
		_, err := workflows.Act(ctx, c, id, domain.ActionSubmit, workflows.ActionRequest{
			Actor: domain.Actor{Username: "camat.andoolo", Role: domain.RoleCamat, Scope: "74.05.03"}})
		done <- err
	}()
	answered := func() bool { return len(done) > 0 }
	require.Never(t, answered, 4*time.Second, 100*time.Millisecond, "a decision is not answered before it is in the database")
	proxy.setDown(false)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("the submit was never answered after the database came back")
	}

	row, err := db.GetProposal(ctx, id)
	require.NoError(t, err)
	require.Equal(t, domain.StageKabKotaReview, row.Stage)
	events, err := db.ListProposalEvents(ctx, id)
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, []string{"create", "submit"}, []string{events[0].Action, events[1].Action})
}

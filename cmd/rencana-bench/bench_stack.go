package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/demo"
	"github.com/rencana-id/rencana/internal/devserver"
	"github.com/rencana-id/rencana/policies"
)

// benchStack is the server a benchmark drives: the embedded one (the same
// parts `rencana dev` runs, without demo data) or an existing one (--addr).
type benchStack struct {
	// BaseURLs are http://host:port of the API instances, used in turn.
	BaseURLs []string
	// AdminPassword logs the bench in as `admin` to create its users.
	AdminPassword string
	// Temporal is a client for the bare-Update measurement; nil when the
	// Temporal frontend is unknown (--addr without TEMPORAL_ADDRESS).
	Temporal client.Client
	// Embedded is true when the stack runs in this process.
	Embedded bool
	// Describe says what was started, for the report.
	Describe string
	// DataDir holds the embedded stack's databases and logs.
	DataDir string
	// TemporalMetrics is the Prometheus endpoint of the embedded Temporal
	// dev server; empty when the bench did not start it.
	TemporalMetrics string
	stop            []func()
}

// Close stops what the stack started, in reverse order.
func (s *benchStack) Close() {
	for i := len(s.stop) - 1; i >= 0; i-- {
		s.stop[i]()
	}
	s.stop = nil
}

// startEmbeddedStack starts the stack of `rencana dev` in this process: the
// Temporal dev server as a child (unless TEMPORAL_ADDRESS is set), SQLite
// (unless DATABASE_URL is set) in dataDir, migrations and reference data,
// the worker and the API on a free loopback port. It creates no demo data:
// only the admin account, with a password chosen here. Logs go to files in
// dataDir, not to the terminal, so they do not drown the report.
//
// temporalArgs are extra arguments for the dev server; with
// temporalMemory its state is kept in memory rather than in a file.
func startEmbeddedStack(ctx context.Context, cfg config.Config, dataDir string, temporalArgs []string, temporalMemory bool, progress io.Writer) (_ *benchStack, err error) {
	s := &benchStack{Embedded: true, DataDir: dataDir}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	cfg.DataDir = dataDir
	logFile, err := os.OpenFile(filepath.Join(dataDir, "rencana.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, err
	}
	s.stop = append(s.stop, func() { _ = logFile.Close() })
	log := cfg.Logger(logFile)

	temporalAddr := cfg.TemporalAddress
	temporalDesc := "Temporal at " + temporalAddr
	if temporalAddr == "" {
		start := time.Now()
		tlog, err := os.OpenFile(filepath.Join(dataDir, "temporal.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return nil, err
		}
		s.stop = append(s.stop, func() { _ = tlog.Close() })
		dbFile := filepath.Join(dataDir, "temporal.db")
		if temporalMemory {
			dbFile = ""
		}
		// Its metrics tell how many workflow tasks met a waiting poller.
		metricsPort, err := devserver.FreePort()
		if err != nil {
			return nil, err
		}
		dev, err := devserver.Start(ctx, devserver.Options{
			// A free port, no UI: a bench must not collide with `rencana dev`.
			Namespace: cfg.TemporalNamespace,
			DBFile:    dbFile,
			Output:    tlog,
			Logger:    log,
			ExtraArgs: append([]string{"--metrics-port", strconv.Itoa(metricsPort)}, temporalArgs...),
		})
		if err != nil {
			return nil, err
		}
		s.stop = append(s.stop, func() {
			if err := dev.Stop(); err != nil {
				log.Warn("Temporal dev server stop", "err", err)
			}
		})
		temporalAddr = dev.HostPort()
		s.TemporalMetrics = fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort)
		temporalDesc = "Temporal dev server (child process, SQLite file)"
		if temporalMemory {
			temporalDesc = "Temporal dev server (child process, in memory)"
		}
		if len(temporalArgs) > 0 {
			temporalDesc += " with " + strings.Join(temporalArgs, " ")
		}
		fmt.Fprintf(progress, "bench: Temporal dev server up at %s in %s\n", temporalAddr, time.Since(start).Round(time.Millisecond))
	}
	db, err := app.OpenStore(ctx, cfg, log, true)
	if err != nil {
		return nil, err
	}
	s.stop = append(s.stop, func() { _ = db.Close() })
	dbDesc := "SQLite"
	if cfg.DatabaseURL != "" {
		dbDesc = "PostgreSQL"
	}
	authz, err := policies.New(ctx, db)
	if err != nil {
		return nil, err
	}
	s.stop = append(s.stop, authz.Close)
	tc, err := app.DialTemporal(ctx, temporalAddr, cfg.TemporalNamespace, log)
	if err != nil {
		return nil, err
	}
	s.stop = append(s.stop, tc.Close)
	s.Temporal = tc
	if err := app.StartMail(ctx, cfg, db, authz, log); err != nil {
		return nil, err
	}
	w := app.NewWorker(tc, db)
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	s.stop = append(s.stop, w.Stop)

	s.AdminPassword = cfg.AdminPassword
	if s.AdminPassword == "" {
		s.AdminPassword = demo.GeneratePassword()
	}
	if _, err := demo.EnsureAdmin(ctx, db, authz, s.AdminPassword); err != nil {
		return nil, err
	}
	secret := cfg.JWTSecret
	if len(secret) == 0 {
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return nil, err
		}
		secret = []byte(hex.EncodeToString(raw[:]))
	}
	h, err := app.NewHandler(app.NewAPI(cfg, secret, db, authz, tc, log), cfg, log)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("bench API server", "err", err)
		}
	}()
	s.stop = append(s.stop, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	s.BaseURLs = []string{"http://" + l.Addr().String()}
	s.Describe = fmt.Sprintf("embedded (API + worker + load generator in one process, %s, %s)", dbDesc, temporalDesc)
	return s, nil
}

// existingStack describes a server started elsewhere (--addr). Its admin
// password comes from RENCANA_ADMIN_PASSWORD; the bare-Update measurement
// needs TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE when not "default") of the
// Temporal that server uses.
func existingStack(ctx context.Context, cfg config.Config, apis []string, progress io.Writer) (*benchStack, error) {
	if cfg.AdminPassword == "" {
		return nil, errors.New("RENCANA_ADMIN_PASSWORD: required with --addr (the password of the server's admin account)")
	}
	s := &benchStack{BaseURLs: []string{"http://" + cfg.Addr}, AdminPassword: cfg.AdminPassword, Describe: "existing server at " + cfg.Addr}
	if len(apis) > 0 {
		s.BaseURLs = apis
		s.Describe = fmt.Sprintf("existing deployment, %d API instances used in turn (%s)", len(apis), strings.Join(apis, ", "))
	}
	if cfg.TemporalAddress == "" {
		fmt.Fprintln(progress, "bench: TEMPORAL_ADDRESS is not set: the bare Temporal Update is not measured (set it to the server's Temporal frontend)")
		return s, nil
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tc, err := app.DialTemporal(ctx, cfg.TemporalAddress, cfg.TemporalNamespace, log)
	if err != nil {
		return nil, err
	}
	s.Temporal = tc
	s.stop = append(s.stop, tc.Close)
	return s, nil
}

// peakRSS reads VmHWM (the peak resident set size) of a process from
// /proc, in MiB; -1 when it cannot be read (not Linux, process gone).
func peakRSS(pid string) float64 {
	f, err := os.Open(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				return -1
			}
			return kb / 1024
		}
	}
	return -1
}

// childPIDs lists the processes whose parent is this one and whose command
// name contains name (the Temporal dev server is "temporal-v1.5.1" or
// "temporal").
func childPIDs(name string) []string {
	self := strconv.Itoa(os.Getpid())
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		st := string(b)
		open, closing := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || closing < open {
			continue
		}
		comm := st[open+1 : closing]
		fields := strings.Fields(st[closing+1:])
		if len(fields) >= 2 && fields[1] == self && strings.Contains(comm, name) {
			out = append(out, e.Name())
		}
	}
	return out
}

// cpuSeconds is the user+system CPU time a process has used, from
// /proc/<pid>/stat (clock ticks of 1/100 s, the Linux default); -1 when it
// cannot be read.
func cpuSeconds(pid string) float64 {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return -1
	}
	st := string(b)
	i := strings.LastIndexByte(st, ')')
	if i < 0 {
		return -1
	}
	// After the comm: state(0) ppid(1) ... utime(11) stime(12).
	f := strings.Fields(st[i+1:])
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseFloat(f[11], 64)
	s, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return (u + s) / 100
}

// cpuSample is the CPU time used so far by this process and by its
// Temporal dev server child (-1 when there is none).
type cpuSample struct{ self, temporal float64 }

func sampleCPU() cpuSample {
	c := cpuSample{self: cpuSeconds("self"), temporal: -1}
	for _, pid := range childPIDs("temporal") {
		if v := cpuSeconds(pid); v >= 0 {
			c.temporal = max(c.temporal, 0) + v
		}
	}
	return c
}

// taskPolls counts the workflow tasks the Temporal dev server's matching
// service handed to rencana's worker: all of them, and those handed over
// in memory to a poller already waiting (a sync match). The others were
// written to its task table first and read back.
type taskPolls struct{ all, sync float64 }

// sampleTaskPolls reads the counters of queue's workflow tasks from a
// Prometheus text endpoint; ok is false when it cannot.
func sampleTaskPolls(ctx context.Context, metricsURL, queue string) (_ taskPolls, ok bool) {
	if metricsURL == "" {
		return taskPolls{}, false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return taskPolls{}, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return taskPolls{}, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return taskPolls{}, false
	}
	var p taskPolls
	labels := []string{`task_type="Workflow"`, `taskqueue="` + queue + `"`}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		var into *float64
		switch {
		case strings.HasPrefix(line, "poll_success{"):
			into = &p.all
		case strings.HasPrefix(line, "poll_success_sync{"):
			into = &p.sync
		default:
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 || !strings.Contains(line[:end], labels[0]) || !strings.Contains(line[:end], labels[1]) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[end+1:]), 64)
		if err != nil {
			return taskPolls{}, false
		}
		*into += v
	}
	return p, sc.Err() == nil
}

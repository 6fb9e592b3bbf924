package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/rencana-id/rencana/internal/app"
	"github.com/rencana-id/rencana/internal/config"
	"github.com/rencana-id/rencana/internal/demo"
	"github.com/rencana-id/rencana/internal/devserver"
	"github.com/rencana-id/rencana/internal/domain"
	"github.com/rencana-id/rencana/internal/store"
	"github.com/rencana-id/rencana/policies"
	"github.com/rencana-id/rencana/workflows"
)

// runDev runs the whole stack in one process: the Temporal dev server as a
// child, migrations and reference data, worker and API, demo data on a new
// database. Ctrl-C stops all of it, the child included.
func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var noDemo bool
	cfg, _, err := config.Load(config.ModeDev, args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&noDemo, "no-demo", false, "on a new database create only the admin account: no demo users, cycle or proposals")
	})
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("RENCANA_DATA_DIR: %w", err)
	}
	secret, err := cfg.DevJWTSecret()
	if err != nil {
		return err
	}
	// Fail before starting anything if the API port is taken.
	if l, err := net.Listen("tcp", cfg.Addr); err != nil {
		return fmt.Errorf("RENCANA_ADDR %s is not free: %w", cfg.Addr, err)
	} else {
		_ = l.Close()
	}

	// The Temporal dev server takes about a second to come up; the
	// database (migrations, reference data check, policies) is opened
	// meanwhile, so a second start waits for the slower of the two, not
	// their sum.
	began := time.Now()
	type devResult struct {
		dev  *devserver.Server
		err  error
		took time.Duration
	}
	temporalAddr, uiURL := cfg.TemporalAddress, ""
	var devDone chan devResult
	if temporalAddr == "" {
		logFile, err := os.OpenFile(filepath.Join(cfg.DataDir, "temporal.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return err
		}
		defer logFile.Close()
		devDone = make(chan devResult, 1)
		go func() {
			start := time.Now()
			dev, err := devserver.Start(ctx, devserver.Options{
				HostPort:  "127.0.0.1:" + cfg.TemporalDevPort,
				Namespace: cfg.TemporalNamespace,
				DBFile:    filepath.Join(cfg.DataDir, "temporal.db"),
				UIPort:    cfg.TemporalUIPort,
				Output:    logFile,
				Logger:    log,
				// A Temporal left running on the port (by a killed rencana,
				// before children died with their parent, or by anyone) is
				// refused unless RENCANA_REUSE_TEMPORAL says to use it.
				ReuseExisting: cfg.ReuseTemporal,
			})
			devDone <- devResult{dev, err, time.Since(start)}
		}()
	}
	// waitDev collects the dev server, so that it is stopped on every
	// return, the early ones included.
	var dev *devserver.Server
	waitDev := func() error {
		if devDone == nil {
			return nil
		}
		r := <-devDone
		devDone = nil
		if r.err != nil {
			return fmt.Errorf("%w (is another `rencana dev` or Temporal running on port %s? set RENCANA_TEMPORAL_DEV_PORT)", r.err, cfg.TemporalDevPort)
		}
		dev = r.dev
		temporalAddr = dev.HostPort()
		uiURL = "http://127.0.0.1:" + cfg.TemporalUIPort
		log.Info("Temporal dev server started", "address", temporalAddr, "ui", uiURL, "duration", r.took.Round(time.Millisecond).String())
		return nil
	}
	defer func() {
		_ = waitDev()
		if dev != nil {
			log.Info("stopping Temporal dev server")
			if err := dev.Stop(); err != nil {
				log.Warn("Temporal dev server stop", "err", err)
			}
		}
	}()

	db, err := app.OpenStore(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close()
	authz, err := policies.New(ctx, db)
	if err != nil {
		return err
	}
	defer authz.Close()
	storeReady := time.Since(began)
	if err := waitDev(); err != nil {
		return err
	}

	tc, err := app.DialTemporal(ctx, temporalAddr, cfg.TemporalNamespace, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	if err := app.StartMail(ctx, cfg, db, authz, log); err != nil {
		return err
	}
	// Starting the worker takes most of a second (the SDK checks the
	// namespace and starts its pollers); the API can serve meanwhile, as
	// an Update sent before the first poll simply waits for it. A worker
	// that fails to start stops everything.
	w := app.NewWorker(tc, db)
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	workerStarted := make(chan error, 1)
	go func() {
		err := w.Start()
		if err != nil {
			stop(fmt.Errorf("start worker: %w", err))
		}
		workerStarted <- err
	}()
	defer func() {
		if <-workerStarted == nil {
			w.Stop()
		}
	}()

	// After the worker: the demo cycle is opened through its workflow.
	creds, err := ensureDevAccounts(ctx, cfg, db, authz, demoCycleOpener(tc, db), !noDemo, demoRounds{tc}, demoKMP{tc}, log)
	if err != nil {
		return err
	}

	h, err := app.NewHandler(app.NewAPI(cfg, secret, db, authz, tc, log), cfg, log)
	if err != nil {
		return err
	}
	log.Info("ready", "duration", time.Since(began).Round(time.Millisecond).String(),
		"database", storeReady.Round(time.Millisecond).String())
	printBanner(stdout, cfg, uiURL, creds)
	if err := app.ServeUntilDone(ctx, h, cfg.Addr, log); err != nil {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

// devCredentials are the passwords of the admin and demo accounts; they are
// kept in the data dir (mode 0600) so every start can print them again.
type devCredentials struct {
	Admin, Demo string
}

// demoCycleOpener opens the demo cycle through its CycleWorkflow, as the
// admin account. When the workflow already exists (temporal.db was kept but
// rencana.db deleted) its cycle is written back to the new database.
func demoCycleOpener(tc client.Client, db *store.DB) demo.CycleOpener {
	return func(ctx context.Context, c domain.Cycle) (domain.Cycle, error) {
		got, err := workflows.CreateCycle(ctx, tc, workflows.CreateCycleRequest{
			Actor:        domain.Actor{Username: c.CreatedBy, Role: domain.RoleAdmin, Scope: domain.NationalScope},
			ProvinceCode: c.ProvinceCode, FiscalYear: c.FiscalYear, Calendar: c.Calendar,
			RequestID: "demo-seed", // a retried first start lands on the same creation
		})
		if domain.ErrorCode(err) == domain.ECONFLICT {
			live, qerr := workflows.GetCycle(ctx, tc, c.ID)
			if qerr == nil {
				return live.Cycle, db.SaveCycle(ctx, live.Cycle)
			}
		}
		return got.Cycle, err
	}
}

// demoRounds drives the demo's data rounds through their workflows, as
// the province (open) and each round's actors would.
type demoRounds struct{ tc client.Client }

func (d demoRounds) Open(ctx context.Context, kabkota string, year int, due time.Time, actor domain.Actor) error {
	_, err := workflows.OpenDataRound(ctx, d.tc, kabkota, year, workflows.OpenRoundRequest{Actor: actor, DueAt: due})
	return err
}

func (d demoRounds) Act(ctx context.Context, kabkota string, year int, action domain.RoundAction, actor domain.Actor) error {
	_, err := workflows.ActDataRound(ctx, d.tc, kabkota, year, action, workflows.RoundActionRequest{Actor: actor})
	return err
}

// demoKMP drives the demo's KMP workflows: the bulk start job, waited
// for, and milestone Updates.
type demoKMP struct{ tc client.Client }

func (d demoKMP) Start(ctx context.Context, job store.KMPStartJob) error {
	run, err := workflows.StartKMPJob(ctx, d.tc, workflows.KMPStartInput{Job: job})
	if err != nil {
		return err
	}
	return run.Get(ctx, nil)
}

func (d demoKMP) Record(ctx context.Context, code string, m domain.KMPMilestone, f domain.KMPFields, actor domain.Actor) error {
	_, err := workflows.RecordKMPMilestone(ctx, d.tc, code, "demo:"+code+":"+string(m), workflows.KMPMilestoneRequest{Actor: actor, Milestone: m, Fields: f})
	return err
}

func ensureDevAccounts(ctx context.Context, cfg config.Config, db *store.DB, authz *policies.Enforcer, open demo.CycleOpener, withDemo bool, rounds demo.RoundDriver, kmp demo.KMPDriver, log *slog.Logger) (creds devCredentials, err error) {
	path := filepath.Join(cfg.DataDir, "credentials.txt")
	creds = readCredentials(path)
	if cfg.AdminPassword != "" {
		creds.Admin = cfg.AdminPassword
	}
	if creds.Admin == "" {
		creds.Admin = demo.GeneratePassword()
	}
	if creds.Demo == "" {
		creds.Demo = demo.GeneratePassword()
	}
	defer func() {
		// A database started with --no-demo has no demo users to announce.
		if _, err := db.GetUser(ctx, demo.Users[0].Username); err != nil {
			creds.Demo = ""
		}
	}()
	if created, err := demo.EnsureAdmin(ctx, db, authz, creds.Admin); err != nil {
		return creds, err
	} else if created && !withDemo {
		log.Info("started clean (--no-demo): only the admin account")
		if err := os.WriteFile(path, []byte("admin="+creds.Admin+"\n"), 0o600); err != nil {
			return creds, err
		}
	} else if created {
		cycle, err := demo.Seed(ctx, db, authz, creds.Demo, time.Now(), open)
		if err != nil {
			return creds, fmt.Errorf("seed demo data: %w", err)
		}
		log.Info("demo data created", "cycle", cycle.ID, "users", len(demo.Users))
		// The register is a bonus: a failure (say, Temporal kept from an
		// earlier .data whose rounds are already accepted) must not stop
		// the dev stack.
		if n, err := demo.SeedRegister(ctx, db, time.Now(), rounds); err != nil {
			log.Warn("demo register not loaded", "err", err)
		} else {
			log.Info("demo register created", "koperasi_years", n)
		}
		if kmp != nil {
			start := time.Now()
			if n, err := demo.SeedKMP(ctx, db, time.Now(), kmp); err != nil {
				log.Warn("demo KMP not formed", "err", err)
			} else {
				log.Info("demo KMP formed", "kabkota", demo.KMPKabKota, "milestones", n, "seconds", time.Since(start).Seconds())
			}
		}
		if err := os.WriteFile(path, []byte("admin="+creds.Admin+"\ndemo="+creds.Demo+"\n"), 0o600); err != nil {
			return creds, err
		}
	}
	return creds, nil
}

func readCredentials(path string) devCredentials {
	var c devCredentials
	b, err := os.ReadFile(path)
	if err != nil {
		return c
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "admin":
			c.Admin = v
		case "demo":
			c.Demo = v
		}
	}
	return c
}

func printBanner(w io.Writer, cfg config.Config, uiURL string, creds devCredentials) {
	base := "http://" + cfg.Addr
	fmt.Fprintf(w, "\n  rencana is running (dev mode: SQLite and Temporal in %s)\n\n", cfg.DataDir)
	fmt.Fprintf(w, "  Web           %s/   (open it in a browser)\n", base)
	fmt.Fprintf(w, "  API           %s/api/v1   (ready: %s/readyz, contract: %s/api/v1/openapi.json)\n", base, base, base)
	if uiURL != "" {
		fmt.Fprintf(w, "  Temporal UI   %s\n", uiURL)
	}
	fmt.Fprintf(w, "\n  Log in as admin with password %s\n", creds.Admin)
	if creds.Demo == "" {
		fmt.Fprintf(w, "  No demo data (started with --no-demo).\n\n  Ctrl-C stops everything.\n\n")
		return
	}
	fmt.Fprintf(w, "  Demo users (password %s): ", creds.Demo)
	for i, u := range demo.Users {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s (%s)", u.Username, u.Role)
	}
	fmt.Fprint(w, "\n  Koperasi Merah Putih (Kota Kendari): ")
	for i, u := range demo.KMPUsers {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "%s (%s)", u.Username, u.Role)
	}
	fmt.Fprintf(w, "\n\n  curl -s %s/api/v1/auth/login -H 'Content-Type: application/json' \\\n", base)
	fmt.Fprintf(w, "       -d '{\"username\":\"kec.andoolo\",\"password\":\"%s\"}'\n\n  Ctrl-C stops everything.\n\n", creds.Demo)
}

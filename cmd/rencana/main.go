// Command rencana is the whole product in one binary: `dev` runs everything
// on embedded defaults, `serve` and `worker` are the production halves, and
// `migrate`, `user` and `import` are the operator's tools. The load generator
// is a command of its own, cmd/rencana-bench, so this binary carries none of it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `rencana: planning-cycle workflow engine for koperasi and UMKM proposals.

Usage:
  rencana dev      [--addr A] [--data-dir D]   everything in one process on embedded defaults, with demo data
  rencana serve    [--addr A] [--metrics-addr A]  the HTTP API (production; /metrics beside it unless --metrics-addr)
  rencana worker   [--metrics-addr A]          the Temporal worker (production; /healthz, /readyz, /metrics on A)
  rencana migrate                              apply database migrations and load reference data
  rencana probe URL                            exit 0 when URL answers 200 (container health checks)
  rencana user create --username U --full-name N [--password P] [--role ROLE@SCOPE ...]
  rencana import nomenclature FILE --valid-from-year N [--name NAME]

Configuration comes from flags and environment variables; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "rencana:", err)
		}
		os.Exit(1)
	}
}

// run dispatches to a subcommand; it takes its environment as arguments so
// tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no subcommand given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, getenv, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, getenv, stderr)
	case "worker":
		return runWorker(ctx, rest, getenv, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stderr)
	case "probe":
		return runProbe(ctx, rest, stdout)
	case "user":
		return runUser(ctx, rest, getenv, stdout, stderr)
	case "import":
		return runImport(ctx, rest, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", cmd)
}

// Command rencana-bench is rencana's load generator (issue 9): it drives
// proposals through every stage over the HTTP API, on an embedded stack
// built from the same wiring as `rencana dev` (internal/app) or against a
// running one (--addr), and reports latencies, throughput, CPU and memory.
// It is a binary of its own so the product binary links none of it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "bench" { // `rencana-bench bench ...` as `rencana bench ...` was
		args = args[1:]
	}
	run := runBench
	if len(args) > 0 && args[0] == "kmp" { // issue 19: the KMP bulk start
		run, args = runKMPBench, args[1:]
	}
	if err := run(ctx, args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "rencana-bench:", err)
		}
		os.Exit(1)
	}
}

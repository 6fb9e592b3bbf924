package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// childArgsEnv makes the test binary run `rencana <args>` instead of the
// tests: the topology test starts serve and worker as real processes, so
// that it can SIGKILL them, from the code under test rather than from a
// bin/rencana that may be stale.
const childArgsEnv = "RENCANA_TEST_CHILD_ARGS"

// runChild is main() for a child process: run(args) until SIGTERM.
func runChild(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "rencana:", err)
		return 1
	}
	return 0
}

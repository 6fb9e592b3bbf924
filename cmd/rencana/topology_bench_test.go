//go:build benchtopology

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkProductionTopology is `make bench-topology`: rencana-bench on
// the embedded stack and then, in the same run on the same machine, against
// the production topology (startTopology: Temporal server 1.29.1 on
// PostgreSQL, two APIs used in turn through --api, two workers), at the
// same size (BENCH_PROPOSALS, BENCH_CONCURRENCY; default 2,000 and 16 as
// `make bench`). Both tables are logged; the topology's figures are
// reported as the benchmark's metrics. Behind the benchtopology build tag:
// `make bench` (go test -bench . ./...) must not start a topology.
func BenchmarkProductionTopology(b *testing.B) {
	proposals, concurrency := envInt(b, "BENCH_PROPOSALS", 2000), envInt(b, "BENCH_CONCURRENCY", 16)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Hour)
	defer cancel()
	benchBin := filepath.Join(b.TempDir(), "rencana-bench")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", benchBin, "../rencana-bench").CombinedOutput()
	require.NoError(b, err, "%s", out)
	args := []string{"--proposals", strconv.Itoa(proposals), "--concurrency", strconv.Itoa(concurrency), "--json"}

	for range b.N {
		embedded := runBenchBin(b, ctx, benchBin, args, nil)
		top := startTopology(b, ctx)
		prod := runBenchBin(b, ctx, benchBin, append(args, "--api", strings.Join(top.apiURLs(), ",")),
			[]string{"RENCANA_ADMIN_PASSWORD=" + top.adminPassword, "TEMPORAL_ADDRESS=" + top.temporalAddr, "TEMPORAL_NAMESPACE=default"})
		for _, k := range []string{"transition_p50_ms", "transition_p99_ms", "transitions_per_s", "proposals_per_s", "bare_update_p50_ms", "inbox_p99_ms"} {
			b.Logf("%-20s embedded %10.2f   topology %10.2f", k, embedded[k], prod[k])
			b.ReportMetric(prod[k], k)
		}
	}
}

// runBenchBin runs rencana-bench, logs its table and returns the numbers
// of its last line (the JSON object); it fails unless every proposal
// reached final without an error.
func runBenchBin(b *testing.B, ctx context.Context, bin string, args, env []string) map[string]float64 {
	b.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), append([]string{"RENCANA_LOG_LEVEL=warn"}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(b, cmd.Run(), "rencana-bench %v\nstderr:\n%s\nstdout:\n%s", args, stderr.String(), stdout.String())
	text := strings.TrimRight(stdout.String(), "\n")
	b.Logf("rencana-bench %s\n%s", strings.Join(args, " "), text)
	var raw map[string]any
	require.NoError(b, json.Unmarshal([]byte(text[strings.LastIndexByte(text, '\n')+1:]), &raw))
	nums := map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			nums[k] = f
		}
	}
	require.Equal(b, nums["proposals"], nums["final"], "every proposal reached final")
	require.Zero(b, nums["errors"])
	return nums
}

func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(b, err, name)
	return n
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/stretchr/testify/require"
)

// TestBenchSmall runs `rencana-bench` on the embedded stack at a small
// size: it must drive every proposal to final through the API, print the
// table, and end its output with the JSON object issue 9 specifies.
func TestBenchSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded stack")
	}
	devservertest.RequireCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	env := map[string]string{"RENCANA_LOG_LEVEL": "warn"}
	var stdout, stderr bytes.Buffer
	err := runBench(ctx, []string{"--proposals", "40", "--concurrency", "4", "--bare-updates", "400", "--samples", "10", "--json"},
		func(k string) string { return env[k] }, &stdout, &stderr)
	require.NoError(t, err, "stderr:\n%s\nstdout:\n%s", stderr.String(), stdout.String())

	out := strings.TrimRight(stdout.String(), "\n")
	for _, want := range []string{"submit", "approve", "accept", "consolidate", "fund", "map", "transition", "bare Temporal Update",
		"inbox", "export XLSX", "proposals/s", "transitions/s", "peak RSS", "ratio to bare Update"} {
		require.Contains(t, out, want, "the table names %q", want)
	}
	lines := strings.Split(out, "\n")
	last := lines[len(lines)-1]
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(last), &res), "the last line is one JSON object: %s", last)
	for _, k := range []string{"proposals_per_s", "transitions_per_s", "transition_p50_ms", "transition_p99_ms", "bare_update_p50_ms",
		"ratio_to_bare_update", "inbox_p99_ms", "export_s", "peak_rss_mb"} {
		require.Contains(t, res, k)
		v, ok := res[k].(float64)
		require.True(t, ok, "%s is a number: %v", k, res[k])
		require.Greater(t, v, 0.0, "%s is measured", k)
	}
	require.EqualValues(t, 40, res["proposals"])
	require.EqualValues(t, 40, res["final"], "every proposal reached final")
	require.EqualValues(t, 0, res["errors"])
	require.EqualValues(t, 240, res["transitions"], "six stage actions per proposal")
	require.EqualValues(t, 400, res["bare_update_count"])
	// With the SDK's default two pollers about 12% of workflow tasks met a
	// waiting poller at this size, with workerOptions' 32 about 90%.
	require.Greater(t, res["workflow_task_sync_match"], 0.5, "workflow tasks are handed to a waiting poller, not queued in Temporal's task table")
	actions, ok := res["actions"].(map[string]any)
	require.True(t, ok)
	for _, a := range []string{"create", "submit", "approve", "accept", "consolidate", "fund", "map"} {
		st, ok := actions[a].(map[string]any)
		require.True(t, ok, "action %s reported", a)
		require.EqualValues(t, 40, st["count"], a)
	}
}

// TestBenchFlags refuses bad flags before starting anything.
func TestBenchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--proposals", "0"},
		{"--concurrency", "0"},
		{"--provinces", "74.05"},
		{"--addr", "127.0.0.1:1", "--data-dir", t.TempDir()},
		{"--api", "127.0.0.1:1"},
		{"--api", "http://127.0.0.1:1/api/v1"},
		{"--api", "http://127.0.0.1:1", "--addr", "127.0.0.1:2"},
		{"--api", "http://127.0.0.1:1,http://127.0.0.1:2", "--temporal-memory"},
		{"stray"},
	} {
		var out bytes.Buffer
		err := runBench(context.Background(), args, func(string) string { return "" }, &out, &out)
		require.Error(t, err, "%v", args)
	}
	// --addr needs the server's admin password.
	var out bytes.Buffer
	err := runBench(context.Background(), []string{"--addr", "127.0.0.1:1"}, func(string) string { return "" }, &out, &out)
	require.ErrorContains(t, err, "RENCANA_ADMIN_PASSWORD")
}

// With several API instances (--api) successive requests go to each in
// turn, whatever the concurrency.
func TestBenchAPIsInTurn(t *testing.T) {
	c := newAPIClient([]string{"http://a:1", "http://b:2"}, 4)
	var got []string
	for range 5 {
		got = append(got, c.url("/api/v1/me"))
	}
	require.Equal(t, []string{"http://a:1/api/v1/me", "http://b:2/api/v1/me", "http://a:1/api/v1/me", "http://b:2/api/v1/me", "http://a:1/api/v1/me"}, got)
	one := newAPIClient([]string{"http://a:1"}, 4)
	require.Equal(t, "http://a:1/x", one.url("/x"))
}

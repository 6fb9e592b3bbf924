package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/rencana-id/rencana/internal/devserver/devservertest"
	"github.com/rencana-id/rencana/internal/store/storetest"
)

// scrape returns the text of a /metrics page.
func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// requireSeries asserts that the exposition has a sample line starting
// with each of the given prefixes (name and, optionally, leading labels).
func requireSeries(t *testing.T, text, where string, prefixes ...string) {
	t.Helper()
	for _, p := range prefixes {
		found := false
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, p) {
				found = true
				break
			}
		}
		require.True(t, found, "%s /metrics has no series %s", where, p)
	}
}

// otlpSink is an OTLP/HTTP trace receiver: it keeps every span it is sent,
// with its service's name.
type otlpSink struct {
	mu    sync.Mutex
	spans []sinkSpan
}

type sinkSpan struct {
	service, name string
	traceID       string
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				s.spans = append(s.spans, sinkSpan{service: service, name: sp.Name, traceID: string(sp.TraceId)})
			}
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(nil)
}

// trace returns the spans of the trace that holds a span named name.
func (s *otlpSink) trace(name string) []sinkSpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := ""
	for _, sp := range s.spans {
		if sp.name == name {
			id = sp.traceID
		}
	}
	var out []sinkSpan
	for _, sp := range s.spans {
		if id != "" && sp.traceID == id {
			out = append(out, sp)
		}
	}
	return out
}

// TestMetricsAndTraces runs serve and worker (with mail on, towards a mail
// server that refuses) with traces sent to an OTLP receiver, takes a
// proposal through create and submit, then scrapes both /metrics pages for
// the series an operator watches, and finds one trace from the HTTP request
// through the workflow Update to the projection's activity, spanning both
// processes.
func TestMetricsAndTraces(t *testing.T) {
	srv := devservertest.ForTest(t)
	url := storetest.PostgresURL(t)

	sink := &otlpSink{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: sink, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { _ = hs.Close() })
	// The OTLP exporter reads the process environment itself.
	otel := map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + l.Addr().String(),
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"OTEL_BSP_SCHEDULE_DELAY":     "100",
	}
	for k, v := range otel {
		t.Setenv(k, v)
	}

	refused := freePort(t) // nothing listens: every mail stays in the outbox
	env := serveEnv(url, srv.HostPort(), srv.Namespace())
	env["RENCANA_SMTP_URL"] = "smtp://127.0.0.1:" + refused
	env["RENCANA_MAIL_FROM"] = "rencana@example.go.id"
	for k, v := range otel {
		env[k] = v
	}
	apiAddr, opsAddr := "127.0.0.1:"+freePort(t), "127.0.0.1:"+freePort(t)
	serve := startInProcess(t, "serve", []string{"serve", "--addr", apiAddr}, env)
	awaitReady(t, serve, "http://"+apiAddr+"/readyz", 3*time.Minute)
	worker := startInProcess(t, "worker", []string{"worker", "--metrics-addr", opsAddr}, env)
	awaitReady(t, worker, "http://"+opsAddr+"/readyz", 2*time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := newDriver(t, "http://"+apiAddr)
	require.NoError(t, d.setup(ctx, "admin-rahasia-123"))
	id, err := d.create(ctx, "metrics-1", 1)
	require.NoError(t, err)
	require.NoError(t, d.act(ctx, id, 0, drvSteps["submit"]))

	api := scrape(t, "http://"+apiAddr+"/metrics")
	requireSeries(t, api, "API",
		`rencana_http_requests_total{method="POST",route="/api/v1/proposals/:id/actions/:action",status="200"}`,
		`rencana_http_request_duration_seconds_bucket{method="POST",route="/api/v1/proposals",status="201"`,
		`rencana_http_requests_in_flight`,
		`go_sql_open_connections{db_name="rencana"}`,
		`go_sql_wait_count_total{db_name="rencana"}`,
		`temporal_request_latency_seconds_bucket`,
		`go_goroutines`, `process_cpu_seconds_total`,
	)
	require.NotContains(t, api, id, "routes are labelled by template, never by id")

	var wm string
	require.Eventually(t, func() bool {
		wm = scrape(t, "http://"+opsAddr+"/metrics")
		return strings.Contains(wm, "rencana_mail_outbox_backlog 1") || strings.Contains(wm, "rencana_mail_outbox_backlog 2")
	}, time.Minute, 200*time.Millisecond, "the submit's notification waits in the outbox: the backlog shows it")
	requireSeries(t, wm, "worker",
		`temporal_workflow_task_execution_latency_seconds_bucket`,
		`temporal_workflow_task_schedule_to_start_latency_seconds_bucket`,
		`temporal_local_activity_execution_latency_seconds_bucket`,
		`temporal_activity_execution_latency_seconds_bucket`,
		`temporal_worker_task_slots_available`,
		`temporal_long_request{`,
		`temporal_request_latency_seconds_bucket`,
		`go_sql_open_connections{db_name="rencana"}`,
		`rencana_mail_outbox_backlog`,
	)
	requireDashboardSeries(t, api+wm)

	// One trace from the request to the projection, across both processes.
	want := "POST /api/v1/proposals/:id/actions/:action"
	var spans []sinkSpan
	require.Eventually(t, func() bool {
		spans = sink.trace(want)
		names := map[string]bool{}
		for _, s := range spans {
			names[s.service+" "+s.name] = true
		}
		return names["rencana-api "+want] && names["rencana-api UpdateWorkflow:submit"] &&
			names["rencana-worker HandleUpdate:submit"] && anyPrefix(names, "rencana-worker RunActivity:")
	}, time.Minute, 200*time.Millisecond, "no trace from the HTTP request through the Update to the activity: %v", spans)
}

func anyPrefix(set map[string]bool, prefix string) bool {
	for k := range set {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// httpMetrics counts and times the requests the API answers, labelled by
// the route template (/api/v1/proposals/:id, never the id itself, so the
// series stay few), the method and the status. The web pages call the API
// in-process, so their API calls are counted here too, as in the access log.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// httpLatencyBuckets run from a cached read to an export of a whole
// province (seconds).
var httpLatencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rencana_http_requests_total",
			Help: "HTTP requests answered by the API, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "rencana_http_request_duration_seconds",
			Help:    "Time to answer an API request, by route template, method and status.",
			Buckets: httpLatencyBuckets,
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rencana_http_requests_in_flight",
			Help: "API requests being answered now.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight)
	return m
}

// routeLabel is the matched route template, or a fixed word for requests
// that matched none (any path could otherwise become a series).
func routeLabel(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "unmatched"
}

// observe records one answered request.
func (m *httpMetrics) observe(c echo.Context, took time.Duration) {
	if m == nil {
		return
	}
	route, method, status := routeLabel(c), c.Request().Method, strconv.Itoa(c.Response().Status)
	m.requests.WithLabelValues(route, method, status).Inc()
	m.duration.WithLabelValues(route, method, status).Observe(took.Seconds())
}

// startSpan starts the request's server span, named after its route as
// OpenTelemetry's HTTP conventions ask ("POST /api/v1/proposals/:id/..."),
// continuing the caller's trace when a traceparent header names one. The
// handlers pass the request's context to Temporal, whose tracing
// interceptor carries the trace into the workflow and its activities. It
// returns the function that ends the span; without a tracer it does nothing.
func (s *Server) startSpan(c echo.Context) func() {
	if s.tracer == nil {
		return func() {}
	}
	req := c.Request()
	route := routeLabel(c)
	ctx := otel.GetTextMapPropagator().Extract(req.Context(), propagation.HeaderCarrier(req.Header))
	ctx, span := s.tracer.Start(ctx, req.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(
			attribute.String("http.request.method", req.Method),
			attribute.String("http.route", route),
			attribute.String("url.path", req.URL.Path),
			attribute.String("rencana.request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		))
	c.SetRequest(req.WithContext(ctx))
	return func() {
		status := c.Response().Status
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
		if u, ok := c.Get(ctxUsername).(string); ok && u != "" {
			span.SetAttributes(attribute.String("enduser.id", u))
		}
		span.End()
	}
}

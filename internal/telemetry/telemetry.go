// Package telemetry gives a rencana process what an operator watches it
// with: a Prometheus registry served as /metrics (the process's own series,
// the database pool's and the Temporal SDK's) and OpenTelemetry traces that
// follow a request from the HTTP handler through the Temporal client into
// the workflow and its activities.
//
// Traces are off unless the standard OpenTelemetry variables ask for them:
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or
// OTEL_TRACES_EXPORTER=otlp; OTEL_SDK_DISABLED=true and
// OTEL_TRACES_EXPORTER=none turn them off again. The exporter reads the
// rest itself (OTEL_EXPORTER_OTLP_PROTOCOL grpc or http/protobuf, headers,
// certificates, timeouts), the SDK reads OTEL_TRACES_SAMPLER and
// OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// Options configure Setup.
type Options struct {
	// Service names the process in traces (service.name) unless
	// OTEL_SERVICE_NAME says otherwise: "rencana-api", "rencana-worker".
	Service string
	// Getenv reads the OTEL_ variables; nil means no variables (traces off).
	Getenv func(string) string
	// SpanExporter, when set, receives the spans instead of an OTLP
	// exporter and turns traces on whatever the variables say: for tests.
	SpanExporter sdktrace.SpanExporter
}

// Telemetry is one process's metrics registry and tracer provider.
type Telemetry struct {
	// Registry holds every series /metrics serves.
	Registry *prometheus.Registry
	meters   *sdkmetric.MeterProvider
	tracer   *sdktrace.TracerProvider // nil: traces off
}

// latencyBuckets are the histogram boundaries, in seconds, of every latency
// rencana exports: from a cached read (a few ms) to an Update that waited
// for a retried projection (tens of seconds).
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Setup builds the registry (with the Go runtime's and the process's
// series) and, when the variables ask for it, the tracer provider, which it
// also installs as OpenTelemetry's global one with W3C trace context
// propagation. Call Shutdown before exit to flush spans.
func Setup(ctx context.Context, o Options) (*Telemetry, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// The Temporal SDK reports through OpenTelemetry's metrics API; this
	// provider hands its instruments to the same Prometheus registry.
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithView(sdkmetric.NewView(
		sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets}},
	)))
	t := &Telemetry{Registry: reg, meters: meters}

	exporter := o.SpanExporter
	if exporter == nil && tracesWanted(getenv) {
		if exporter, err = otlpExporter(ctx, getenv); err != nil {
			return nil, err
		}
	}
	if exporter != nil {
		// Later detectors win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
		// override the default service name.
		res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName(o.Service)),
			resource.WithFromEnv(), resource.WithTelemetrySDK())
		if err != nil && res == nil {
			return nil, fmt.Errorf("telemetry: resource: %w", err)
		}
		t.tracer = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
		otel.SetTracerProvider(t.tracer)
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	}
	return t, nil
}

// tracesWanted reads the standard switches: an OTLP endpoint or an explicit
// otlp exporter turns traces on, OTEL_SDK_DISABLED or "none" off.
func tracesWanted(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))) {
	case "none":
		return false
	case "otlp":
		return true
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// otlpExporter picks gRPC or HTTP by OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL
// (the specification's default is http/protobuf); both read their endpoint,
// headers, TLS and timeout from the environment themselves.
func otlpExporter(ctx context.Context, getenv func(string) string) (sdktrace.SpanExporter, error) {
	proto := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"))
	if proto == "" {
		proto = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_PROTOCOL"))
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch proto {
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q must be grpc or http/protobuf", proto)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP trace exporter: %w", err)
	}
	return exp, nil
}

// Tracing reports whether spans are recorded and exported.
func (t *Telemetry) Tracing() bool { return t.tracer != nil }

// Tracer returns the tracer rencana's own spans use (a no-op one when
// traces are off).
func (t *Telemetry) Tracer(name string) trace.Tracer {
	if t.tracer == nil {
		return noop.NewTracerProvider().Tracer(name)
	}
	return t.tracer.Tracer(name)
}

// MetricsHandler serves the registry in Prometheus's text format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.Registry, promhttp.HandlerOpts{Registry: t.Registry})
}

// TemporalMetrics is the Temporal SDK's metrics handler onto the registry:
// its client, worker, workflow task and activity series (temporal_...).
func (t *Telemetry) TemporalMetrics() client.MetricsHandler {
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: t.meters.Meter("temporal-sdk-go")})
}

// TemporalInterceptors are the client (and so worker) interceptors that
// carry a trace from the caller into workflows and activities: the SDK's
// OpenTelemetry tracing interceptor when traces are on, none otherwise, so
// a process without traces writes no tracing headers into histories.
func (t *Telemetry) TemporalInterceptors() ([]interceptor.ClientInterceptor, error) {
	if t.tracer == nil {
		return nil, nil
	}
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            t.tracer.Tracer("temporal-sdk-go"),
		TextMapPropagator: otel.GetTextMapPropagator(),
	})
	if err != nil {
		return nil, fmt.Errorf("telemetry: temporal tracing interceptor: %w", err)
	}
	return []interceptor.ClientInterceptor{i}, nil
}

// Shutdown flushes buffered spans and stops the meter provider.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.tracer != nil {
		errs = append(errs, t.tracer.Shutdown(ctx))
	}
	errs = append(errs, t.meters.Shutdown(ctx))
	return errors.Join(errs...)
}

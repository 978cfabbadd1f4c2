// Package telemetry sets up the orchestrator's traces, trace-aware logs and Prometheus metrics.
package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names the tracer of the spans the orchestrator starts itself.
const ScopeName = "orchestrator"

// Tracer starts the orchestrator's own spans (the queue consumers'); otelhttp, otelgrpc and
// otelaws start theirs. It reads the global provider at each call, so it follows Setup.
func Tracer() trace.Tracer { return otel.Tracer(ScopeName) }

// Exporting reports whether Setup installs a tracer provider: an OTLP endpoint is named
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), OTEL_SDK_DISABLED is not
// true and OTEL_TRACES_EXPORTER is not none, as for the workers. Without one, a service can
// skip building spans altogether.
func Exporting() bool {
	is := func(name, value string) bool { return strings.EqualFold(strings.TrimSpace(os.Getenv(name)), value) }
	if is("OTEL_SDK_DISABLED", "true") || is("OTEL_TRACES_EXPORTER", "none") {
		return false
	}
	set := func(name string) bool { return strings.TrimSpace(os.Getenv(name)) != "" }
	return set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || set("OTEL_EXPORTER_OTLP_ENDPOINT")
}

// Setup installs the W3C trace-context and baggage propagators and, when Exporting, a tracer
// provider exporting over OTLP. It reads only the OTEL_* variables: OTEL_EXPORTER_OTLP_ENDPOINT
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL (grpc or
// http/protobuf, the default), OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES,
// OTEL_TRACES_SAMPLER and _ARG, OTEL_BSP_SCHEDULE_DELAY, OTEL_SDK_DISABLED and
// OTEL_TRACES_EXPORTER (none turns export off); the exporters and the SDK read most of them.
//
// Without export, no provider is installed: the global one is OpenTelemetry's no-op, so spans
// cost a context lookup, while an incoming traceparent still reaches the workers. shutdown
// flushes the spans still buffered; call it once the work has drained.
func Setup(ctx context.Context, serviceName string, logger *slog.Logger) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("telemetry", "error", err)
	}))
	if !Exporting() {
		return func(context.Context) error { return nil }, nil
	}
	exporter, err := newExporter(ctx)
	if err != nil {
		return nil, err
	}
	res, err := newResource(ctx, serviceName)
	if err != nil {
		return nil, err
	}
	// The SDK reads the sampler (OTEL_TRACES_SAMPLER) and the batch delay (OTEL_BSP_*) itself.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	logger.Info("exporting traces", "protocol", protocol(), "service_name", serviceNameOf(res, serviceName))
	return tp.Shutdown, nil
}

// newResource is the spans' resource, named as the specification orders it (and as the workers
// are): OTEL_SERVICE_NAME, else a service.name entry of OTEL_RESOURCE_ATTRIBUTES, else
// serviceName. Later options win, and WithFromEnv puts OTEL_SERVICE_NAME over the attributes.
func newResource(ctx context.Context, serviceName string) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return res, nil
}

// protocol is the OTLP transport the variables choose; the specification's default is http/protobuf.
func protocol() string {
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return "http/protobuf"
}

// newExporter picks the OTLP exporter by protocol. Both read the endpoint, headers, timeout and
// TLS settings from the OTEL_EXPORTER_OTLP_* variables themselves, and neither dials here.
func newExporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	switch p := protocol(); p {
	case "grpc":
		return otlptracegrpc.New(ctx)
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	default:
		return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q is not supported: use grpc or http/protobuf", p)
	}
}

func serviceNameOf(res *resource.Resource, fallback string) string {
	if v, ok := res.Set().Value(semconv.ServiceNameKey); ok {
		return v.AsString()
	}
	return fallback
}

package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"

	"example.com/http-stdlib/orchestrator/internal/telemetry"
)

var requestDuration = telemetry.NewHistogram(telemetry.HTTPServerRequestDurationSeconds, telemetry.DurationBuckets)

// traced starts a server span per request, continuing the caller's W3C traceparent. The span
// is named by the method until a route matches and renames it "POST /v1/score" (withRoute);
// probes and scrapes get none, as they arrive every few seconds and say nothing about the traffic.
func traced(next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return method(r.Method) }),
		otelhttp.WithFilter(func(r *http.Request) bool {
			return r.URL.Path != "/healthz" && r.URL.Path != "/readyz" && r.URL.Path != "/metrics"
		}),
	)
}

// propagated stands in for traced when no tracer provider is installed. otelhttp would then
// start a no-op span, yet still build its attributes, record its metrics to the no-op meter
// and wrap the response writer: about a tenth of the orchestrator's CPU per request in a
// CPU profile under `make bench`'s load. Extracting the caller's traceparent and baggage
// is all that span would carry, so the workers and the log lines see the same trace
// context either way.
func propagated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header)); ctx != r.Context() {
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// withRoute names the request's span and metrics after the route that matched, the same way
// whichever router dispatched it.
func withRoute(path string, next http.Handler) http.Handler {
	attr := semconv.HTTPRoute(path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := trace.SpanFromContext(r.Context())
		span.SetName(method(r.Method) + " " + path)
		span.SetAttributes(attr)
		infoFrom(r.Context()).route = path
		next.ServeHTTP(w, r)
	})
}

// observeRequest records a finished request in the duration histogram; route is "" when none matched.
func observeRequest(r *http.Request, route string, status int, took time.Duration) {
	requestDuration.WithLabelValues(method(r.Method), route, strconv.Itoa(status)).Observe(took.Seconds())
}

// method keeps the label's values bounded, as the semantic conventions ask: an unknown
// method is "_OTHER".
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

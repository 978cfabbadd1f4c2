package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestLogLinesCarryTheActiveSpan(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tracetest.NewSpanRecorder()))
	ctx, span := tp.Tracer("test").Start(context.Background(), "work")
	defer span.End()
	var buf bytes.Buffer
	logger := slog.New(LogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")

	logger.InfoContext(ctx, "inside")
	logger.Info("outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines, got %q", buf.String())
	}
	var inside, outside map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &inside); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &outside); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if inside["trace_id"] != sc.TraceID().String() || inside["span_id"] != sc.SpanID().String() || inside["component"] != "test" {
		t.Errorf("line logged in a span: %v, want trace_id %s span_id %s and the logger's attributes", inside, sc.TraceID(), sc.SpanID())
	}
	if _, ok := outside["trace_id"]; ok {
		t.Errorf("line logged outside any span carries a trace id: %v", outside)
	}
}

func TestWithoutAnEndpointNothingIsExported(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	before := otel.GetTracerProvider()
	shutdown, err := Setup(context.Background(), "orchestrator", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != before {
		t.Error("Setup installed a tracer provider with no endpoint set")
	}
	if _, span := Tracer().Start(context.Background(), "x"); span.IsRecording() {
		t.Error("spans record with no endpoint set")
	}
}

func TestExportingFollowsTheStandardSwitches(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"no endpoint", map[string]string{}, false},
		{"endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, true},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, true},
		{"exporter otlp", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"exporter none", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": " None "}, false},
		{"sdk disabled", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "TRUE"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_SDK_DISABLED"} {
				t.Setenv(name, tt.env[name])
			}
			if got := Exporting(); got != tt.want {
				t.Errorf("Exporting() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestServiceNameFollowsTheSpecification(t *testing.T) {
	const attributes = "deployment.environment=dev, service.name = from-attributes"
	for _, tt := range []struct {
		name, serviceName, attributes, want string
	}{
		{"default", "", "", "orchestrator"},
		{"OTEL_SERVICE_NAME", "named", "", "named"},
		{"service.name entry", "", attributes, "from-attributes"},
		{"OTEL_SERVICE_NAME over the entry", "named", attributes, "named"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("OTEL_SERVICE_NAME", tt.serviceName)
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", tt.attributes)
			res, err := newResource(context.Background(), "orchestrator")
			if err != nil {
				t.Fatal(err)
			}
			if got := serviceNameOf(res, ""); got != tt.want {
				t.Errorf("service.name %q, want %q", got, tt.want)
			}
			if env, _ := res.Set().Value("deployment.environment"); tt.attributes != "" && env.AsString() != "dev" {
				t.Errorf("deployment.environment %q, want the attribute's dev", env.AsString())
			}
		})
	}
}

func TestExportersByProtocol(t *testing.T) {
	for _, tt := range []struct{ protocol, wantErr string }{
		{"grpc", ""},
		{"http/protobuf", ""},
		{"", ""},
		{"http/json", `OTEL_EXPORTER_OTLP_PROTOCOL "http/json" is not supported: use grpc or http/protobuf`},
	} {
		t.Run(tt.protocol, func(t *testing.T) {
			t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", tt.protocol)
			t.Setenv("OTEL_SERVICE_NAME", "svc")
			prev := otel.GetTracerProvider()
			t.Cleanup(func() { otel.SetTracerProvider(prev) })
			shutdown, err := Setup(context.Background(), "orchestrator", slog.New(slog.DiscardHandler))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); !ok {
				t.Errorf("provider %T, want the SDK's", otel.GetTracerProvider())
			}
			// Nothing was recorded, so the flush has nothing to send to the closed port.
			if err := shutdown(context.Background()); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}

func TestEveryMetricOfTheTableIsDocumented(t *testing.T) {
	for _, d := range docs {
		if d.help == "" {
			t.Errorf("metric %s has no help text", d.name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a name outside the table was accepted")
		}
	}()
	NewCounter("made_up_total")
}

// Each run of the orchestrator hands its own collectors to Handler; a second run in the same
// process (a test run twice) must serve its own values, not panic on a duplicate registration.
func TestHandlersOfTwoRunsInOneProcess(t *testing.T) {
	for run := range 2 {
		runs := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_runs_total", Help: "Runs."})
		runs.Add(float64(run + 1))
		rec := httptest.NewRecorder()
		Handler(runs).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		body := rec.Body.String()
		if want := fmt.Sprintf("test_runs_total %d\n", run+1); !strings.Contains(body, want) {
			t.Errorf("run %d: /metrics lacks %q:\n%s", run, want, body)
		}
		if !strings.Contains(body, "go_goroutines ") {
			t.Errorf("run %d: /metrics lacks the process's metrics:\n%s", run, body)
		}
	}
}

package config

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// env is an environment as os.Environ returns it, with variables no setting uses around kv.
func env(kv map[string]string) []string {
	out := []string{"PATH=/usr/bin", "HOME=/home/app", "AWS_REGION=us-east-1"}
	for k, v := range kv {
		out = append(out, k+"="+v)
	}
	return out
}

func TestLoadReadsEverySettingInTheTable(t *testing.T) {
	_, p := load(env(nil))
	for _, s := range settings {
		if !p.read[s.name] {
			t.Errorf("%s is in the settings table (and the README) but Load never reads it", s.name)
		}
	}
}

func TestLoadRejectsRetiredNames(t *testing.T) {
	tests := []struct{ key, want string }{
		{"WORKER_ADDR", "WORKER_SCORER_ADDR"},
		{"HTTP_LISTEN", "LISTEN_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := Load(env(map[string]string{tt.key: "127.0.0.1:1"}))
			if err == nil {
				t.Fatalf("Load() ignored %s", tt.key)
			}
			if !strings.Contains(err.Error(), tt.key) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not name %s and %s", err, tt.key, tt.want)
			}
		})
	}
}

// warns checks that Load starts with each variable set, and reports it with the closest setting.
func warns(t *testing.T, tests []Unknown) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cfg, err := Load(env(map[string]string{tt.Name: "x"}))
			if err != nil {
				t.Fatalf("Load() refused %s (%v); want it started and the variable reported", tt.Name, err)
			}
			if want := []Unknown{tt}; !reflect.DeepEqual(cfg.Unknown, want) {
				t.Errorf("Load().Unknown = %+v, want %+v", cfg.Unknown, want)
			}
		})
	}
}

// A misspelt setting in any of the orchestrator's namespaces is reported with the setting meant.
func TestLoadReportsMisspeltSettings(t *testing.T) {
	warns(t, []Unknown{
		{"WORKER_ADRESS", "WORKER_SCORER_ADDR"},
		{"LISTEN_ADRESS", "LISTEN_ADDR"},
		{"REQUEST_TIMEOUTS", "REQUEST_TIMEOUT"},
		{"SHUTDOWN_TIMOUT", "SHUTDOWN_TIMEOUT"},
		{"LOG_LEVLE", "LOG_LEVEL"},
	})
}

// Kubernetes sets these for a Service named worker in the pod's namespace unless the pod turns
// enableServiceLinks off: a deployment that does not must still start.
func TestLoadStartsBesideKubernetesServiceLinks(t *testing.T) {
	vars := map[string]string{"WORKER_SERVICE_HOST": "10.0.0.7", "WORKER_SERVICE_PORT": "50051", "WORKER_PORT": "tcp://10.0.0.7:50051", "WORKER_PORT_50051_TCP_ADDR": "10.0.0.7"}
	cfg, err := Load(env(vars))
	if err != nil {
		t.Fatalf("Load() refused Kubernetes' service links: %v", err)
	}
	if len(cfg.Unknown) != len(vars) {
		t.Errorf("Load().Unknown = %+v, want each of %d variables reported", cfg.Unknown, len(vars))
	}
}

func TestLoadLeavesOtherProgramsVariablesAlone(t *testing.T) {
	// The workers' settings share the environment under make run; empty means unset.
	vars := map[string]string{"CPU_BUDGET": "2", "MAX_IN_FLIGHT": "8", "MODEL_PATH": "/m.json", "SHUTDOWN_GRACE_SECS": "5", "RUST_LOG": "warn", "WORKER_ADDR": "", "WORKER_SCORER_ADDRX": "", "OTEL_SERVICE_NAME": "o", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:1"}
	cfg, err := Load(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Unknown != nil {
		t.Errorf("Load().Unknown = %+v, want none: these are other programs' variables", cfg.Unknown)
	}
}

// common is cfg without its ingress's and sink's own settings, which the tests in their own
// files (config_<ingress>_test.go, sink_<sink>_test.go) check.
func common(cfg Config) Config {
	cfg.Ingress, cfg.Sink = Ingress{}, Sink{}
	return cfg
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ListenAddr:      ":8080",
		RequestTimeout:  2 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		LogLevel:        slog.LevelInfo,
		Coalesce:        true,
	}
	want.Workers = []Worker{
		{Name: "scorer", Addrs: []string{"127.0.0.1:50051"}},
	}
	if got := common(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("Load() = %+v, want %+v", got, want)
	}
}

func TestLoadOverrides(t *testing.T) {
	vars := map[string]string{
		"LISTEN_ADDR":      "127.0.0.1:9000",
		"REQUEST_TIMEOUT":  "750ms",
		"SHUTDOWN_TIMEOUT": "30s",
		"LOG_LEVEL":        "debug",
		"COALESCE":         "off",
	}
	vars["WORKER_SCORER_ADDR"] = "dns:///scorer.internal:6000"
	cfg, err := Load(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		ListenAddr:      "127.0.0.1:9000",
		RequestTimeout:  750 * time.Millisecond,
		ShutdownTimeout: 30 * time.Second,
		LogLevel:        slog.LevelDebug,
	}
	want.Workers = []Worker{
		{Name: "scorer", Addrs: []string{"dns:///scorer.internal:6000"}},
	}
	if got := common(cfg); !reflect.DeepEqual(got, want) {
		t.Errorf("Load() = %+v, want %+v", got, want)
	}
}

// badValue is a setting and a value Load must refuse, naming the setting.
type badValue struct{ key, value string }

func rejects(t *testing.T, tests []badValue) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			_, err := Load(env(map[string]string{tt.key: tt.value}))
			if err == nil {
				t.Fatalf("Load() accepted %s=%q", tt.key, tt.value)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name %s", err, tt.key)
			}
		})
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	rejects(t, []badValue{
		{"LISTEN_ADDR", "8080"},
		{"LISTEN_ADDR", ":http-alt"},
		{"LISTEN_ADDR", ":0"},
		{"LISTEN_ADDR", ":70000"},
		{"REQUEST_TIMEOUT", "2"},
		{"REQUEST_TIMEOUT", "-1s"},
		{"REQUEST_TIMEOUT", "0s"},
		{"SHUTDOWN_TIMEOUT", "soon"},
		{"LOG_LEVEL", "loud"},
		{"COALESCE", "yes"},
	})
}

func TestLoadReportsEveryBadVariable(t *testing.T) {
	_, err := Load(env(map[string]string{"REQUEST_TIMEOUT": "x", "LOG_LEVEL": "y"}))
	if err == nil {
		t.Fatal("Load() accepted two bad variables")
	}
	for _, key := range []string{"REQUEST_TIMEOUT", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

func TestWorkersLogWithSnakeCaseKeys(t *testing.T) {
	var out bytes.Buffer
	workers := []Worker{
		{Name: "w", Addrs: []string{"127.0.0.1:1"}},
	}
	slog.New(slog.NewJSONHandler(&out, nil)).Info("starting", "workers", workers)
	if got, want := out.String(), `"workers":[{"name":"w","addrs":["127.0.0.1:1"]}]`; !strings.Contains(got, want) {
		t.Errorf("log line %s, want it to contain %s", got, want)
	}
}

// Package config reads the orchestrator's settings from the environment.
package config

import (
	"errors"
	"log/slog"
	"strings"
	"time"
)

// Config holds every setting the orchestrator reads at startup.
type Config struct {
	// ListenAddr is the host:port served on: the HTTP API's, or a queue consumer's health and
	// metrics endpoints.
	ListenAddr string
	// Workers are the scoring workers, in hybrid-backend.json's order; the first is the primary.
	Workers []Worker
	// RequestTimeout bounds each call to the worker, retries included.
	RequestTimeout time.Duration
	// Coalesce puts concurrent single requests for a busy worker into shared ScoreBatch calls.
	Coalesce bool
	// ShutdownTimeout bounds how long in-flight work may take to finish on SIGTERM (the HTTP
	// API's requests, after ShutdownDelay); a queue's unfinished work is read again later.
	ShutdownTimeout time.Duration
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// Ingress holds the settings of the ingress this repo was generated with, and Sink those of
	// its results sink: each is declared and read in that choice's own file (config_*.go).
	Ingress
	Sink
	// Unknown are the variables in the orchestrator's namespaces that are not settings, for
	// start-up to warn of (see parser.unknown).
	Unknown []Unknown
	// Foreign are the settings of another ingress's orchestrator that are set, for start-up
	// to warn of (see parser.foreign).
	Foreign []Foreign
}

// Worker is one scoring worker the orchestrator calls over gRPC. The JSON names are the start-up
// log's keys, snake_case like every other key there.
type Worker struct {
	// Name is the worker's name in hybrid-backend.json.
	Name string `json:"name"`
	// Addrs are where its replicas are: one gRPC target in any form grpc.NewClient accepts
	// (host:port, dns:///name:port for a headless Service, unix:///path), or several
	// host:port or unix:///path addresses, each one replica.
	Addrs []string `json:"addrs"`
}

// setting is one environment variable the orchestrator reads, with its default in the variable's own syntax.
type setting struct{ name, def string }

// settings is every variable the orchestrator reads. It is rendered from the same table as the
// README's Configuration section (create-hybrid-backend's src/render/settings.ts), so the two
// cannot disagree: Load takes every default from here and reads nothing else.
var settings = []setting{
	{"LISTEN_ADDR", ":8080"},
	{"WORKER_SCORER_ADDR", "127.0.0.1:50051"},
	{"REQUEST_TIMEOUT", "2s"},
	{"COALESCE", "on"},
	{"KINESIS_STREAM_NAME", "kinesis-dynamodb-requests"},
	{"LEASE_TABLE", "kinesis-dynamodb-leases"},
	{"LEASE_DURATION", "10s"},
	{"KINESIS_MAX_ATTEMPTS", "10"},
	{"KINESIS_INITIAL_POSITION", "TRIM_HORIZON"},
	{"DEAD_LETTER_TABLE", "kinesis-dynamodb-dead-letters"},
	{"DEAD_LETTER_RETENTION", "336h"},
	{"DYNAMODB_TABLE", "kinesis-dynamodb-results"},
	{"SHUTDOWN_TIMEOUT", "10s"},
	{"LOG_LEVEL", "info"},
}

// nameRules are AWS's limits on the names settings give its resources (CreateQueue,
// CreateStream, CreateTable), rendered from the same table as the scripts' checks: an emulator
// takes a name AWS refuses, so without them a bad one passed every local run and failed on AWS.
var nameRules = []nameRule{
	{setting: "KINESIS_STREAM_NAME", min: 1, max: 128, chars: "A-Za-z0-9_.-", want: "1 to 128 letters, digits, -, _ and ."},
	{setting: "LEASE_TABLE", min: 3, max: 255, chars: "A-Za-z0-9_.-", want: "3 to 255 letters, digits, -, _ and ."},
	{setting: "DEAD_LETTER_TABLE", min: 3, max: 255, chars: "A-Za-z0-9_.-", want: "3 to 255 letters, digits, -, _ and ."},
	{setting: "DYNAMODB_TABLE", min: 3, max: 255, chars: "A-Za-z0-9_.-", want: "3 to 255 letters, digits, -, _ and ."},
}

// ownedPrefixes are the orchestrator's namespaces beyond its settings' first words: a variable in
// one that is not a setting is a typo or a retired name, and start-up warns of it (unknown).
var ownedPrefixes = []string{"WORKER_", "KINESIS_"}

// workerSettings are the names the workers read: make run gives every service one environment,
// so these are theirs, not typos of the orchestrator's.
var workerSettings = []string{"LISTEN_ADDR", "MODEL_PATH", "CPU_BUDGET", "MAX_IN_FLIGHT", "SHUTDOWN_GRACE_SECS", "KEEPALIVE_INTERVAL_SECS", "KEEPALIVE_TIMEOUT_SECS", "RUST_LOG", "METRICS_ADDR"}

// rename is a retired name and the setting that replaced it.
type rename struct{ name, use string }

// retired are names the orchestrator no longer reads, with the setting that replaced each.
var retired = []rename{
	{"WORKER_ADDR", "WORKER_SCORER_ADDR"},
	{"HTTP_LISTEN", "LISTEN_ADDR"},
	{"CHECKPOINT_TABLE", "LEASE_TABLE"},
}

// Load reads the configuration from environ, KEY=value pairs as os.Environ returns them, so tests
// need not mutate the process environment. It reports every bad variable at once rather than making
// operators fix them one restart at a time.
func Load(environ []string) (Config, error) {
	cfg, p := load(environ)
	if len(p.problems) > 0 {
		return Config{}, errors.New("invalid configuration: " + strings.Join(p.problems, "; "))
	}
	return cfg, nil
}

func load(environ []string) (Config, *parser) {
	p := newParser(environ)
	cfg := Config{
		ListenAddr:      p.hostPort("LISTEN_ADDR"),
		RequestTimeout:  p.duration("REQUEST_TIMEOUT"),
		ShutdownTimeout: p.duration("SHUTDOWN_TIMEOUT"),
		LogLevel:        p.level("LOG_LEVEL"),
		Coalesce:        p.onOff("COALESCE"),
	}
	// The defaults are the ports scripts/run.sh starts the workers on.
	cfg.Workers = []Worker{
		{Name: "scorer", Addrs: p.addrs("WORKER_SCORER_ADDR")},
	}
	cfg.Ingress = loadIngress(p, cfg)
	cfg.Sink = loadSink(p)
	p.rejectRetired()
	cfg.Unknown = p.unknown()
	cfg.Foreign = p.foreign()
	return cfg, p
}

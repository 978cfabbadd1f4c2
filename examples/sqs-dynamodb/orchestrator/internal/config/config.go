// Package config reads the orchestrator's settings from the environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config holds every setting the orchestrator reads at startup.
type Config struct {
	// ListenAddr is the host:port of the health and metrics endpoints.
	ListenAddr string
	// Workers are the scoring workers, in hybrid-backend.json's order; the first is the primary.
	Workers []Worker
	// RequestTimeout bounds each call to the worker, retries included.
	RequestTimeout time.Duration
	// Coalesce puts concurrent single requests for a busy worker into shared ScoreBatch calls.
	Coalesce bool
	// ShutdownTimeout bounds how long in-flight work may take to finish on SIGTERM; what is
	// unfinished then is read again later.
	ShutdownTimeout time.Duration
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// QueueName is the SQS queue the requests arrive on; bootstrap creates it with a
	// dead-letter queue named QueueName-dlq.
	QueueName string
	// VisibilityTimeout is how long a received message stays hidden from other consumers
	// (extended while it is being handled), and the queue's default that bootstrap sets.
	VisibilityTimeout time.Duration
	// Concurrency is how many receive-and-handle loops run at once, each on one receive's batch.
	Concurrency int
	// ResultsTable is the DynamoDB table the results are stored in, one item per request id.
	ResultsTable string
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
	{"SQS_QUEUE_NAME", "sqs-dynamodb-requests"},
	{"SQS_VISIBILITY_TIMEOUT", "30s"},
	{"CONCURRENCY", "20"},
	{"DYNAMODB_TABLE", "sqs-dynamodb-results"},
	{"SHUTDOWN_TIMEOUT", "10s"},
	{"LOG_LEVEL", "info"},
}

// ownedPrefixes are the orchestrator's namespaces: a variable in one that is not a setting is a typo
// or a retired name, and ignoring it would silently leave a default in force, so it stops start-up.
// Only prefixes no other program here uses (make run gives the workers the same environment).
var ownedPrefixes = []string{"WORKER_", "SQS_"}

// rename is a retired name and the setting that replaced it.
type rename struct{ name, use string }

// retired are names the orchestrator no longer reads, with the setting that replaced each.
var retired = []rename{
	{"WORKER_ADDR", "WORKER_SCORER_ADDR"},
	{"HTTP_LISTEN", "LISTEN_ADDR"},
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
	cfg.QueueName = p.value("SQS_QUEUE_NAME")
	if strings.HasSuffix(cfg.QueueName, ".fifo") {
		// Handling is concurrent and dead-letter copies carry no MessageGroupId: FIFO order and
		// deduplication would silently not hold.
		p.fail("SQS_QUEUE_NAME", cfg.QueueName, "FIFO queues are not supported; name a standard queue (no .fifo suffix)")
	}
	cfg.VisibilityTimeout = p.seconds("SQS_VISIBILITY_TIMEOUT")
	cfg.Concurrency = p.count("CONCURRENCY")
	cfg.ResultsTable = p.value("DYNAMODB_TABLE")
	p.rejectUnknown()
	return cfg, p
}

type parser struct {
	env      map[string]string
	read     map[string]bool
	problems []string
}

func newParser(environ []string) *parser {
	p := &parser{env: make(map[string]string, len(environ)), read: make(map[string]bool, len(settings))}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			p.env[k] = v
		}
	}
	return p
}

// Default is key's default from the settings table, in the variable's own syntax, for tools
// that must act as the orchestrator does (cmd/loadgen's deadline). It panics on a name outside the table.
func Default(key string) string {
	return newParser(nil).value(key)
}

func (p *parser) fail(key, value, reason string) {
	p.problems = append(p.problems, fmt.Sprintf("%s=%q: %s", key, value, reason))
}

// value is the variable's value, or its default from the settings table when it is unset or empty
// (compose files often pass VAR= to mean "default"). Reading a name outside the table is a bug in
// this package, which its tests catch.
func (p *parser) value(key string) string {
	for _, s := range settings {
		if s.name == key {
			p.read[key] = true
			if v := p.env[key]; v != "" {
				return v
			}
			return s.def
		}
	}
	panic("config: " + key + " is not in the settings table")
}

// rejectUnknown reports retired names, and names in the orchestrator's namespaces that are not settings.
func (p *parser) rejectUnknown() {
	keys := make([]string, 0, len(p.env))
	for k, v := range p.env {
		if v != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	known := make([]string, len(settings))
	for i, s := range settings {
		known[i] = s.name
	}
	for _, k := range keys {
		if i := slices.IndexFunc(retired, func(r rename) bool { return r.name == k }); i >= 0 {
			p.problems = append(p.problems, fmt.Sprintf("%s is no longer read: set %s instead", k, retired[i].use))
			continue
		}
		if slices.Contains(known, k) {
			continue
		}
		for _, prefix := range ownedPrefixes {
			if strings.HasPrefix(k, prefix) {
				p.problems = append(p.problems, fmt.Sprintf("%s is not a setting (the orchestrator reads %s)", strconv.QuoteToASCII(k), strings.Join(known, ", ")))
				break
			}
		}
	}
}

func (p *parser) hostPort(key string) string {
	v := p.value(key)
	if _, port, err := net.SplitHostPort(v); err != nil {
		p.fail(key, v, "want host:port, e.g. :8080")
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		// Port 0 would pick a random port that nothing in front of the service could find.
		p.fail(key, v, "want a port number from 1 to 65535")
	}
	return v
}

func (p *parser) duration(key string) time.Duration {
	v := p.value(key)
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(key, v, "want a positive duration, e.g. 2s or 500ms")
		return 0
	}
	return d
}

// seconds takes whole seconds, as SQS does, up to its 12-hour limit.
func (p *parser) seconds(key string) time.Duration {
	v := p.value(key)
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second || d > 12*time.Hour || d%time.Second != 0 {
		p.fail(key, v, "want whole seconds from 1s to 12h, e.g. 30s")
		return 0
	}
	return d
}

func (p *parser) count(key string) int {
	v := p.value(key)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		p.fail(key, v, "want a whole number from 1 to 1000")
		return 0
	}
	return n
}

func (p *parser) level(key string) slog.Level {
	v := p.value(key)
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		p.fail(key, v, "want debug, info, warn or error")
		return 0
	}
	return l
}

func (p *parser) onOff(key string) bool {
	switch v := p.value(key); v {
	case "on":
		return true
	case "off":
		return false
	default:
		p.fail(key, v, "want on or off")
		return false
	}
}

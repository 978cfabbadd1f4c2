// Package config reads the orchestrator's settings from the environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
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
	// ShutdownTimeout bounds how long in-flight work may take to finish on SIGTERM; what is
	// unfinished then is read again later.
	ShutdownTimeout time.Duration
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// StreamName is the Kinesis stream the requests arrive on.
	StreamName string
	// LeaseTable is the DynamoDB table of shard leases (in the KCL's shape), which share the
	// stream's shards among the orchestrator's replicas and keep each shard's checkpoint.
	LeaseTable string
	// LeaseDuration is how long a replica that stops renewing keeps its leases before the
	// others take them over.
	LeaseDuration time.Duration
	// MaxAttempts bounds the failures in a row of one shard before its lease is given up.
	MaxAttempts int
	// DeadLetterTable keeps the records that cannot be handled, with their payload.
	DeadLetterTable string
	// ResultsTable is the DynamoDB table the results are stored in, one item per request id.
	ResultsTable string
}

// Worker is one scoring worker the orchestrator calls over gRPC.
type Worker struct {
	// Name is the worker's name in hybrid-backend.json.
	Name string
	// Addr is its gRPC target, in any form grpc.NewClient accepts.
	Addr string
}

// Load reads the configuration through getenv (os.Getenv in production), so tests need not mutate the process environment.
// It reports every bad variable at once rather than making operators fix them one restart at a time.
func Load(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	cfg := Config{
		ListenAddr:      p.hostPort("LISTEN_ADDR", ":8080"),
		RequestTimeout:  p.duration("REQUEST_TIMEOUT", 2*time.Second),
		ShutdownTimeout: p.duration("SHUTDOWN_TIMEOUT", 10*time.Second),
		LogLevel:        p.level("LOG_LEVEL", slog.LevelInfo),
	}
	// The defaults are the ports scripts/run.sh starts the workers on.
	cfg.Workers = []Worker{
		{Name: "scorer", Addr: p.nonEmpty("WORKER_SCORER_ADDR", "127.0.0.1:50051")},
	}
	cfg.StreamName = p.nonEmpty("KINESIS_STREAM_NAME", "kinesis-dynamodb-requests")
	cfg.LeaseTable = p.nonEmpty("LEASE_TABLE", "kinesis-dynamodb-leases")
	cfg.LeaseDuration = p.duration("LEASE_DURATION", 10*time.Second)
	if cfg.LeaseDuration < time.Second {
		// Leases are renewed every third of it; under a second, one slow write loses them.
		p.fail("LEASE_DURATION", cfg.LeaseDuration.String(), "want at least 1s, e.g. 10s")
	}
	cfg.MaxAttempts = p.count("KINESIS_MAX_ATTEMPTS", 10)
	cfg.DeadLetterTable = p.nonEmpty("DEAD_LETTER_TABLE", "kinesis-dynamodb-dead-letters")
	cfg.ResultsTable = p.nonEmpty("DYNAMODB_TABLE", "kinesis-dynamodb-results")
	if len(p.problems) > 0 {
		return Config{}, errors.New("invalid configuration: " + strings.Join(p.problems, "; "))
	}
	return cfg, nil
}

type parser struct {
	getenv   func(string) string
	problems []string
}

func (p *parser) fail(key, value, reason string) {
	p.problems = append(p.problems, fmt.Sprintf("%s=%q: %s", key, value, reason))
}

// nonEmpty treats an empty variable like an unset one, as compose files often pass VAR= to mean "default".
func (p *parser) nonEmpty(key, def string) string {
	if v := p.getenv(key); v != "" {
		return v
	}
	return def
}

func (p *parser) hostPort(key, def string) string {
	v := p.nonEmpty(key, def)
	if _, port, err := net.SplitHostPort(v); err != nil {
		p.fail(key, v, "want host:port, e.g. :8080")
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		// Port 0 would pick a random port that nothing in front of the service could find.
		p.fail(key, v, "want a port number from 1 to 65535")
	}
	return v
}

func (p *parser) duration(key string, def time.Duration) time.Duration {
	v := p.getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(key, v, "want a positive duration, e.g. 2s or 500ms")
		return def
	}
	return d
}

func (p *parser) count(key string, def int) int {
	v := p.getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		p.fail(key, v, "want a whole number from 1 to 1000")
		return def
	}
	return n
}

func (p *parser) level(key string, def slog.Level) slog.Level {
	v := p.getenv(key)
	if v == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		p.fail(key, v, "want debug, info, warn or error")
		return def
	}
	return l
}

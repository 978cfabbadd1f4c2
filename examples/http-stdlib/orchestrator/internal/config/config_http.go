package config

import (
	"fmt"
	"net"
	"strconv"
	"time"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/validation"
)

// Ingress is the HTTP API's own settings.
type Ingress struct {
	// OpsListenAddr is the host:port of the health and metrics endpoints; empty, the API's
	// port serves them too.
	OpsListenAddr string
	// ShutdownDelay is how long the API serves on after SIGTERM, readiness failing, while
	// load balancers stop sending; zero stops accepting at once.
	ShutdownDelay time.Duration
	// MaxBodyBytes caps request bodies. It may lower, never raise, the contract's ceiling
	// (validation.MaxJSONBytes of the largest valid ScoreBatchRequest), its default.
	MaxBodyBytes int64
	// MaxInFlightBytes is the request body bytes handled at once; 0 leaves httpapi's default.
	MaxInFlightBytes int64
}

func loadIngress(p *parser, cfg Config) Ingress {
	in := Ingress{
		MaxBodyBytes:     p.bytes("MAX_BODY_BYTES", bodyCeiling),
		MaxInFlightBytes: p.positiveBytes("MAX_IN_FLIGHT_BYTES"),
		ShutdownDelay:    p.delay("SHUTDOWN_DELAY"),
	}
	if p.value("OPS_LISTEN_ADDR") != "" {
		in.OpsListenAddr = p.hostPort("OPS_LISTEN_ADDR")
		// Any host: ":8080" beside LISTEN_ADDR=127.0.0.1:8080 failed only at the second bind, "address
		// already in use", naming neither setting. Ports alone, as the scripts' check compares them.
		ops, opsOK := listenPort(in.OpsListenAddr)
		api, apiOK := listenPort(cfg.ListenAddr)
		if opsOK && apiOK && ops == api {
			p.fail("OPS_LISTEN_ADDR", in.OpsListenAddr, fmt.Sprintf("want a port other than LISTEN_ADDR's (%s), or unset to serve both on it", cfg.ListenAddr))
		}
	}
	return in
}

// delay reads a duration that may be zero (none).
func (p *parser) delay(key string) time.Duration {
	v := p.value(key)
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		p.fail(key, v, "want a duration of 0s or more, e.g. 5s")
		return 0
	}
	return d
}

// bodyCeiling is the largest body a valid request needs, derived from scoring.proto's
// rules; a bigger limit would only let through bodies that must fail validation.
var bodyCeiling = validation.MaxJSONBytes(&scoringv1.ScoreBatchRequest{})

// bytes reads a byte count from 1 to max; unset, it is max.
func (p *parser) bytes(key string, max int64) int64 {
	v := p.value(key)
	if v == "" {
		return max
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > max {
		p.fail(key, v, fmt.Sprintf("want a number of bytes from 1 to %d, the largest request scoring.proto allows in JSON", max))
		return max
	}
	return n
}

// positiveBytes is a number of bytes above zero, or 0 when the variable is unset.
func (p *parser) positiveBytes(key string) int64 {
	v := p.value(key)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		p.fail(key, v, "want a positive number of bytes")
		return 0
	}
	return n
}

// listenPort is addr's port as a number (leading zeros and all, as the listener reads it), if it
// has one. Only the HTTP API has a second listener (OPS_LISTEN_ADDR) to compare.
func listenPort(addr string) (uint64, bool) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	return n, err == nil
}

// Package workerclient is the orchestrator's gRPC client for the Rust scoring worker.
package workerclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	// Registers client-side health checking, which healthCheckConfig turns on.
	_ "google.golang.org/grpc/health"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
	"example.com/sqs-dynamodb/orchestrator/internal/validation"
)

// serviceConfig is the connection's policy.
//
// healthCheckConfig turns on gRPC client-side health checking: every replica's
// subchannel keeps a grpc.health.v1 Watch stream open and counts as READY only while its
// worker reports SERVING, so a replica that is draining or broken gets no calls while the
// others do. round_robin spreads calls over the READY replicas of every address the name
// resolves to, so scaling the worker out needs no orchestrator change.
//
// The retry policy replays UNAVAILABLE once, which is what a replica restart or a refused
// connection looks like, and the replay goes to the next replica; scoring is a pure
// function of the request, so a replay is safe. Only once, and inside the one CallTimeout:
// the callers own retrying (the queue pipelines back off and try again, HTTP clients get
// 429 or 503 with Retry-After), and retries at two layers multiply.
//
// retryThrottling (gRPC's retry design, gRFC A6) stops even that one replay once the worker
// is failing as a whole: the channel holds maxTokens, every retryable failure takes one,
// every success gives back tokenRatio, and replays go out only while more than half are
// left. With 10 and 0.1, a replica restarting among healthy ones (a failure now and then
// among many successes) keeps its replay, but about five failures in a row, as when every
// replica is down, turn replays off until roughly ten successes per failure have come back,
// so a dead worker gets one call per message attempt, not two.
var serviceConfig = fmt.Sprintf(`{
  "loadBalancingConfig": [{"round_robin": {}}],
  "healthCheckConfig": {"serviceName": %[1]q},
  "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1},
  "methodConfig": [{
    "name": [{"service": %[1]q}],
    "retryPolicy": {
      "maxAttempts": 2,
      "initialBackoff": "0.05s",
      "maxBackoff": "0.5s",
      "backoffMultiplier": 2,
      "retryableStatusCodes": ["UNAVAILABLE"]
    }
  }]
}`, scoringv1.ScoringService_ServiceDesc.ServiceName)

// Options tunes a Client; the zero value of each field picks a default.
type Options struct {
	// CallTimeout bounds each RPC, retries included. Default 2s.
	CallTimeout time.Duration
	// Logger receives health transitions. Default slog.Default().
	Logger *slog.Logger
	// Name is the worker's name in metrics.
	Name string
	// Untraced skips the client span, for a process with no tracer provider installed
	// (telemetry.Exporting is false): calls still carry the caller's trace context (propagate).
	Untraced bool
}

// Client calls the replicas of one scoring worker and tracks whether any of them serves.
// It is safe for concurrent use.
type Client struct {
	conn        *grpc.ClientConn
	scoring     scoringv1.ScoringServiceClient
	callTimeout time.Duration
	logger      *slog.Logger
	name        string
	status      atomic.Int32 // a Health
}

// New prepares a client for a worker's replicas at addrs: one gRPC target, or several
// host:port or unix:///path addresses. It does not dial: connections are made once
// WatchHealth starts or on first use, and re-made in the background whenever they drop,
// so the worker may start after the orchestrator.
func New(addrs []string, opts Options) (*Client, error) {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	target, resolverOpts, err := target(addrs)
	if err != nil {
		return nil, err
	}
	// A client span per call, named scoring.v1.ScoringService/Score and the like, whose
	// traceparent travels in the call's metadata; untraced, only the caller's traceparent.
	tracing := grpc.WithStatsHandler(otelgrpc.NewClientHandler())
	if opts.Untraced {
		tracing = grpc.WithChainUnaryInterceptor(propagate)
	}
	conn, err := grpc.NewClient(target, append(resolverOpts,
		// The worker sits on a private network next to the orchestrator; put TLS or a mesh in front of it before it leaves one.
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(serviceConfig),
		// gRPC's default reconnect backoff grows to 120s, which would keep the API unready
		// for minutes after a worker restart; a worker next door is worth retrying sooner.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
			MinConnectTimeout: 5 * time.Second,
		}),
		// A channel left idle closes its connections and health streams, and would read
		// as not ready while the API has no traffic; readiness needs them kept.
		grpc.WithIdleTimeout(0),
		// Tracing, and the attempt count for the retry metric.
		tracing,
		grpc.WithStatsHandler(attempts{}),
		// The health watch keeps a stream open, so pings run on it and notice a worker that
		// vanished without closing its connections (a lost node, a dropped network). The
		// worker pings back on the same period (its KEEPALIVE_* settings). tonic (h2) enforces
		// no ping policy, so it accepts pings this often; a grpc-go server would need a
		// keepalive.EnforcementPolicy with MinTime under 30s, or it answers GOAWAY "too_many_pings".
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		// Sized from the contract, like the worker's own limits: every valid request fits
		// (grpc-go's 4 MiB receive default would not fit the largest valid batch response).
		grpc.WithDefaultCallOptions(
			grpc.MaxCallSendMsgSize(validation.MaxRequestBytes),
			grpc.MaxCallRecvMsgSize(validation.MaxResponseBytes),
			// Generated encoding for the contract's messages (codec.go).
			grpc.ForceCodecV2(Codec),
		),
	)...)
	if err != nil {
		return nil, fmt.Errorf("worker client for %q: %w", addrs, err)
	}
	// Shown at 0 from the start, so a rate over it works before the first retry.
	Retries.WithLabelValues(opts.Name)
	return &Client{
		conn:        conn,
		scoring:     scoringv1.NewScoringServiceClient(conn),
		callTimeout: opts.CallTimeout,
		logger:      opts.Logger,
		name:        opts.Name,
	}, nil
}

// Score scores one request.
func (c *Client) Score(ctx context.Context, req *scoringv1.ScoreRequest) (resp *scoringv1.ScoreResponse, err error) {
	err = c.observe(ctx, telemetry.RPCScore, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, c.callTimeout)
		defer cancel()
		resp, err = c.scoring.Score(ctx, req)
		return deadlineCause(ctx, err)
	})
	return resp, err
}

// ScoreBatch scores many requests in one call.
func (c *Client) ScoreBatch(ctx context.Context, req *scoringv1.ScoreBatchRequest) (resp *scoringv1.ScoreBatchResponse, err error) {
	batchItems.WithLabelValues(c.name).Observe(float64(len(req.GetRequests())))
	err = c.observe(ctx, telemetry.RPCScoreBatch, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, c.callTimeout)
		defer cancel()
		resp, err = c.scoring.ScoreBatch(ctx, req)
		return deadlineCause(ctx, err)
	})
	return resp, err
}

// deadlineCause reports a call that failed because its deadline passed as DEADLINE_EXCEEDED,
// whatever code it came back with. tonic answers a request whose grpc-timeout ran out with
// CANCELLED ("Timeout expired"), and that answer can arrive before grpc-go's own timer
// fires; callers map DEADLINE_EXCEEDED to 504 and retry it, but treat CANCELLED as the
// caller having gone away.
func deadlineCause(ctx context.Context, err error) error {
	if err == nil || status.Code(err) != codes.Canceled {
		return err
	}
	deadline, ok := ctx.Deadline()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (ok && !time.Now().Before(deadline) && !errors.Is(ctx.Err(), context.Canceled)) {
		return status.Error(codes.DeadlineExceeded, "worker call deadline exceeded: "+status.Convert(err).Message())
	}
	return err
}

// Close tears down the connection; calls in flight fail with codes.Canceled.
func (c *Client) Close() error {
	return c.conn.Close()
}

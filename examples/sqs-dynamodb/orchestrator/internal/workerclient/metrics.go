package workerclient

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

var (
	callDuration = telemetry.NewHistogram(telemetry.RPCClientCallDurationSeconds, telemetry.DurationBuckets)
	batchItems   = telemetry.NewHistogram(telemetry.OrchestratorWorkerBatchItems, telemetry.CountBuckets)
	// Retries counts worker calls tried again, by worker: replays by the channel's retry policy
	// (counted here) and the queue pipelines' own retries (counted there).
	Retries = telemetry.NewCounter(telemetry.OrchestratorWorkerRetriesTotal)
)

type attemptsKey struct{}

// observe wraps one call: it counts the call's attempts (see attempts) and records its
// duration by method and final gRPC status, once deadlineCause has named it.
func (c *Client) observe(ctx context.Context, method string, call func(context.Context) error) error {
	var n atomic.Int32
	start := time.Now()
	err := call(context.WithValue(ctx, attemptsKey{}, &n))
	// rpc_method is the bare method name ("Score"), as the semantic conventions and the worker's
	// own rpc_server_call_duration_seconds have it, so the two sides of a call join on it.
	short := method[strings.LastIndexByte(method, '/')+1:]
	callDuration.WithLabelValues(c.name, short, strconv.Itoa(int(status.Code(err)))).Observe(time.Since(start).Seconds())
	if extra := n.Load() - 1; extra > 0 {
		Retries.WithLabelValues(c.name).Add(float64(extra))
	}
	return err
}

// attempts is a gRPC stats handler that counts each call's attempts: a call the retry policy
// replays begins once per attempt, on a context derived from the call's.
type attempts struct{}

func (attempts) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (attempts) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.Begin); ok {
		if n, ok := ctx.Value(attemptsKey{}).(*atomic.Int32); ok {
			n.Add(1)
		}
	}
}

func (attempts) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (attempts) HandleConn(context.Context, stats.ConnStats) {}

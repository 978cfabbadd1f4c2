package workerclient

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

// send makes one coalesced call for batch, answers each member, then hands its slot on.
func (c *Coalescer) send(batch []*waiter) {
	defer c.end()
	coalescedBatchSize.WithLabelValues(c.opts.Name).Observe(float64(len(batch)))
	ctx, cancel := batchContext(batch)
	defer cancel()
	req := &scoringv1.ScoreBatchRequest{Requests: make([]*scoringv1.ScoreRequest, len(batch)), ItemResults: true}
	for i, w := range batch {
		req.Requests[i] = w.req
	}
	ctx, span := telemetry.Tracer().Start(ctx, telemetry.CoalesceSpan, trace.WithLinks(links(batch)...))
	resp, err := c.next.ScoreBatch(ctx, req)
	span.End()
	for i, w := range batch {
		w.done <- answer(resp, err, i, len(batch))
	}
}

// batchContext is the coalesced call's context: it lasts until the latest member's deadline
// (each member gives up at its own), and is the child of the first member's span, so one
// member's trace shows the worker call; the others link to it (see links). It carries no
// caller's metadata, and no one caller's cancellation, since the call serves them all; once
// every member has left (its client gone or its deadline passed), nobody reads the answer,
// so the call is cancelled and the worker stops spending CPU on it.
func batchContext(batch []*waiter) (context.Context, context.CancelFunc) {
	ctx := trace.ContextWithSpanContext(context.Background(), trace.SpanContextFromContext(batch[0].ctx))
	var latest time.Time
	for _, w := range batch {
		if d, ok := w.ctx.Deadline(); ok && d.After(latest) {
			latest = d
		}
	}
	ctx, cancel := context.WithDeadline(ctx, latest)
	var staying atomic.Int32
	staying.Store(int32(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, w := range batch {
		stops[i] = context.AfterFunc(w.ctx, func() {
			if staying.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// links ties the batch's span to every member's trace.
func links(batch []*waiter) []trace.Link {
	out := make([]trace.Link, 0, len(batch))
	for _, w := range batch {
		if sc := trace.SpanContextFromContext(w.ctx); sc.IsValid() {
			out = append(out, trace.Link{SpanContext: sc})
		}
	}
	return out
}

// answer is member i's outcome of a batch call: the call's error, or its own item.
func answer(resp *scoringv1.ScoreBatchResponse, err error, i, n int) outcome {
	if err != nil {
		return outcome{err: err}
	}
	if results := resp.GetResults(); len(results) == n {
		r := results[i]
		if e := r.GetError(); e != nil {
			return outcome{err: status.Error(codes.Code(e.GetCode()), e.GetMessage())}
		}
		if r.GetResponse() == nil {
			return outcome{err: status.Errorf(codes.Internal, "worker answered item %d of %d with neither a response nor an error", i, n)}
		}
		return outcome{resp: r.GetResponse()}
	}
	// A worker built before per-item results answers in responses, or fails the whole call.
	if responses := resp.GetResponses(); len(responses) == n {
		return outcome{resp: responses[i]}
	}
	return outcome{err: status.Error(codes.Internal, fmt.Sprintf("worker returned %d results for %d requests", max(len(resp.GetResults()), len(resp.GetResponses())), n))}
}

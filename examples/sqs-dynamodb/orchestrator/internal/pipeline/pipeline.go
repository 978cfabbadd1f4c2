// Package pipeline is what the queue consumers share: turning a message into a request,
// scoring requests with the worker and storing the results, with retries.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
	"example.com/sqs-dynamodb/orchestrator/internal/validation"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// Decode parses a message body (a ScoreRequest in protojson, as the HTTP API takes it) and
// validates it. An error means the message is poison: it would fail however often it is retried.
func Decode(body []byte) (*scoringv1.ScoreRequest, error) {
	req := &scoringv1.ScoreRequest{}
	if err := protojson.Unmarshal(body, req); err != nil {
		return nil, fmt.Errorf("not a ScoreRequest in protojson: %w", err)
	}
	if err := validation.ScoreRequest(req); err != nil {
		return nil, err
	}
	return req, nil
}

// Scorer is the scoring worker; *workerclient.Client is one.
type Scorer interface {
	Score(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error)
	ScoreBatch(context.Context, *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error)
}

// ErrStore marks a Handle error that storing the results caused.
var ErrStore = errors.New("storing results")

// ErrConflict marks a rejection Handle reports for a request whose id the sink holds for a
// different request, wrapping the sink's reason: the sink recorded the conflict on the stored
// result, so the request is set aside rather than retried.
var ErrConflict = errors.New("conflict")

// Processor scores requests and stores the results.
type Processor struct {
	Scorer Scorer
	Sink   results.Sink
	// SinkHealth, when set, learns of every failure to store, so that consumers stop taking
	// messages until the sink is back.
	SinkHealth *SinkHealth
	Retry      Retry
	Metrics    *ops.Metrics
	// WorkerName labels the Scorer's retries in orchestrator_worker_retries_total.
	WorkerName string
	Logger     *slog.Logger

	writes   writeIDs
	failures workerclient.FailureLog
}

// Handle scores reqs (in batches when there are several) and stores every result, retrying
// transient failures. A nil error means every request is stored or was rejected: rejected
// maps the index of each request the worker refused as invalid, or whose id is stored for a
// different request (an ErrConflict), to its reason, for the caller to dead-letter.
// After an error nothing may be acknowledged, though some results may be stored already;
// storing them again is harmless.
//
// Metrics.Processed counts the results Handle stores, once each, when they are stored, even
// if Handle fails later: a queue's redelivery of a request stored already counts in
// Metrics.StoredBefore instead, so Processed matches what the store holds.
func (p *Processor) Handle(ctx context.Context, reqs []*scoringv1.ScoreRequest) (rejected map[int]error, err error) {
	resps, rejected, err := p.score(ctx, reqs)
	var entries []results.Entry
	var from []int // entries[k] answers reqs[from[k]]
	for i, r := range resps {
		if r != nil {
			entries = append(entries, results.Entry{Request: reqs[i], Result: r})
			from = append(from, i)
		}
	}
	var conflicts map[int]error
	if err == nil && len(entries) > 0 {
		conflicts, err = p.store(ctx, entries)
		if err != nil {
			if ctx.Err() == nil { // Work cut off at shutdown says nothing about the sink.
				p.SinkHealth.Failed(err)
			}
			err = fmt.Errorf("%w: %w", ErrStore, err)
		}
	}
	if err != nil {
		p.Metrics.Failed.Add(int64(len(reqs)))
		return nil, err
	}
	for k, reason := range conflicts {
		rejected[from[k]] = fmt.Errorf("%w: %w", ErrConflict, reason)
		p.Metrics.Conflicts.Add(1)
		p.Logger.ErrorContext(ctx, "a different request arrived under a stored id; the stored result stands and the request is set aside", "id", reqs[from[k]].GetId(), "reason", reason.Error())
	}
	return rejected, nil
}

// score returns the responses in reqs' order, nil for a request the worker rejected.
//
// A chunk of several goes out as one ScoreBatch with item_results, so a request the worker
// finds invalid comes back as its own item error and only it is rejected: no second round
// of calls to find it. A shed call (RESOURCE_EXHAUSTED) or any other failure of the whole
// call is retried and, once retries run out, fails the chunk as before.
func (p *Processor) score(ctx context.Context, reqs []*scoringv1.ScoreRequest) ([]*scoringv1.ScoreResponse, map[int]error, error) {
	var resps []*scoringv1.ScoreResponse
	rejected := map[int]error{}
	for start := 0; start < len(reqs); start += validation.MaxBatchSize {
		chunk := reqs[start:min(start+validation.MaxBatchSize, len(reqs))]
		got, err := p.scoreChunk(ctx, chunk)
		switch {
		case err == nil:
			for i, e := range got.errs {
				if e != nil {
					p.reject(ctx, rejected, start+i, chunk[i], e)
				}
			}
		case status.Code(err) == codes.InvalidArgument && len(chunk) > 1:
			// Only a worker that predates item_results (one rolling out alongside this
			// orchestrator) fails a whole batch for one request: score one by one there.
			got, err = p.scoreEach(ctx, chunk, start, rejected)
		case status.Code(err) == codes.InvalidArgument:
			p.reject(ctx, rejected, start, chunk[0], err)
			got, err = chunkResult{resps: []*scoringv1.ScoreResponse{nil}}, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("scoring: %w", err)
		}
		resps = append(resps, got.resps...)
	}
	return resps, rejected, nil
}

// chunkResult is a chunk's outcome per request: resps[i] when request i scored, errs[i]
// (the worker's item error) when it did not.
type chunkResult struct {
	resps []*scoringv1.ScoreResponse
	errs  []error
}

// scoreChunk makes one call: Score for a single request, ScoreBatch with item_results for several.
func (p *Processor) scoreChunk(ctx context.Context, chunk []*scoringv1.ScoreRequest) (chunkResult, error) {
	var got chunkResult
	err := p.Retry.Do(ctx, func(ctx context.Context) error {
		if len(chunk) == 1 {
			resp, err := p.Scorer.Score(ctx, chunk[0])
			got = chunkResult{resps: []*scoringv1.ScoreResponse{resp}}
			return err
		}
		resp, err := p.Scorer.ScoreBatch(ctx, &scoringv1.ScoreBatchRequest{Requests: chunk, ItemResults: true})
		if err != nil {
			return err
		}
		got, err = itemResults(resp, len(chunk))
		return err
	}, p.retried(ctx, "score"))
	return got, err
}

// itemResults reads a batch answer of n requests: per-item results, or the plain responses of
// a worker that predates item_results.
func itemResults(resp *scoringv1.ScoreBatchResponse, n int) (chunkResult, error) {
	got := chunkResult{resps: make([]*scoringv1.ScoreResponse, n), errs: make([]error, n)}
	switch {
	case len(resp.GetResults()) == n:
		for i, r := range resp.GetResults() {
			switch {
			case r.GetError() != nil:
				e := status.Error(codes.Code(r.GetError().GetCode()), r.GetError().GetMessage())
				if status.Code(e) != codes.InvalidArgument {
					// Only an invalid request is rejected here; anything else fails the
					// chunk, for the consumer to narrow down like a failed call, marked as
					// an item's so that it is not taken for the call's own (Broken).
					return chunkResult{}, fmt.Errorf("%w %d of %d: %w", errItem, i+1, n, e)
				}
				got.errs[i] = e
			case r.GetResponse() != nil:
				got.resps[i] = r.GetResponse()
			default:
				return chunkResult{}, fmt.Errorf("worker answered item %d of %d with neither a response nor an error", i, n)
			}
		}
	case len(resp.GetResponses()) == n:
		copy(got.resps, resp.GetResponses())
	default:
		return chunkResult{}, fmt.Errorf("worker returned %d results for %d requests", max(len(resp.GetResults()), len(resp.GetResponses())), n)
	}
	return got, nil
}

func (p *Processor) scoreEach(ctx context.Context, chunk []*scoringv1.ScoreRequest, start int, rejected map[int]error) (chunkResult, error) {
	var out chunkResult
	for i, req := range chunk {
		got, err := p.scoreChunk(ctx, chunk[i:i+1])
		switch {
		case status.Code(err) == codes.InvalidArgument:
			p.reject(ctx, rejected, start+i, req, err)
			out.resps = append(out.resps, nil)
		case err != nil:
			return chunkResult{}, err
		default:
			out.resps = append(out.resps, got.resps...)
		}
	}
	return out, nil
}

func (p *Processor) reject(ctx context.Context, rejected map[int]error, i int, req *scoringv1.ScoreRequest, err error) {
	rejected[i] = err
	// The worker's validation has drifted from the orchestrator's: unexpected, but then true
	// of every such message, so paced.
	p.Logger.Log(ctx, p.failures.Unexpected(), "worker rejected a request that passed validation", "id", req.GetId(), "error", err)
}

func (p *Processor) retried(ctx context.Context, what string) func(int, error) {
	return func(attempt int, err error) {
		p.Metrics.Retried.Add(1)
		if what == "score" {
			workerclient.Retries.WithLabelValues(p.WorkerName).Inc()
		}
		busy := awsenv.Throttled(err)
		if busy {
			p.Metrics.Throttled.Add(1)
		}
		p.Logger.Log(ctx, p.failures.Outcome(busy || workerclient.Expected(err)), "retrying after a transient failure", "op", what, "attempt", attempt, "error", err)
	}
}

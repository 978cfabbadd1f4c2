// Package kinesisconsumer feeds scoring requests from a Kinesis stream through the pipeline.
// Any number of orchestrators may read one stream: they share its shards through leases in
// DynamoDB (see lease.go), each shard read by one of them at a time, in order, and checkpointed
// on its lease only once the results up to the checkpoint are stored, so a replica that stops
// or dies is taken over from where storing stopped.
package kinesisconsumer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
	"example.com/kinesis-dynamodb/orchestrator/internal/workerclient"
)

// API is the part of *kinesis.Client the consumer uses.
type API interface {
	DescribeStreamSummary(ctx context.Context, in *kinesis.DescribeStreamSummaryInput, optFns ...func(*kinesis.Options)) (*kinesis.DescribeStreamSummaryOutput, error)
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Handler scores requests and stores the results; *pipeline.Processor is one. One that also
// has Canary (as *pipeline.Processor does) lets isolation ask the worker whether it scores at
// all, rather than wait for other traffic to say so (see pipeline.Isolation).
type Handler interface {
	Handle(ctx context.Context, reqs []*scoringv1.ScoreRequest) (rejected map[int]error, err error)
}

// Config tunes a Consumer; zero values pick the defaults.
type Config struct {
	StreamName string
	// Owner names this replica in the lease table. Default host:pid:random.
	Owner string
	// LeaseDuration is how long a lease lasts without renewal before other replicas take it
	// over; leases are renewed three times within it. Default 10s.
	LeaseDuration time.Duration
	// MaxAttempts bounds the failures in a row of one shard's reads, checkpoints or dead letters
	// (throttling and expired iterators aside) before its lease is released for another replica,
	// or this one a lease duration later, to try. Default 10. A batch gets no retries of its own
	// on top of the Handler's: one failure with Ready true releases the lease the same way,
	// unless the worker failed it for what it carries, which handle narrows down in place.
	MaxAttempts int
	// InitialPosition is where a shard without a checkpoint is first read, TrimHorizon (the
	// default: every record the stream holds) or Latest (the records added from then on); see
	// syncShards' start. A checkpoint always wins.
	InitialPosition string
	// RecordLimit caps the records of one GetRecords call, and so of one batch. Default 1000.
	RecordLimit int32
	// PollInterval is the wait between reads of a shard that is caught up. Default 1s.
	PollInterval time.Duration
	// ShardSyncInterval is how often the shard list is read again to find the children of
	// a split or merge. Default 30s.
	ShardSyncInterval time.Duration
	// ShutdownTimeout bounds how long the batches in flight may take to finish and be
	// checkpointed once Run's context is done. Default 10s.
	ShutdownTimeout time.Duration
	// TidyGrace is how long the lease table's calls (renewals, releases) may still take once
	// the batches have been cut off at the shutdown timeout, so Run returns at most
	// ShutdownTimeout plus TidyGrace after its context is done. Zero leaves none: the leases
	// left unreleased then expire a lease duration later.
	TidyGrace time.Duration
	// Ready, when set, holds a shard's batches up while it returns false (the worker's gRPC
	// health is NOT_SERVING, or the results sink failed and has not passed a probe since),
	// with its lease kept, rather than scoring them for nothing.
	Ready func() bool
	// Retry paces retries of failed reads, batches and checkpoints.
	Retry   pipeline.Retry
	Metrics *ops.Metrics
	Logger  *slog.Logger
}

// Consumer reads the shards of a stream it holds leases on.
type Consumer struct {
	client      API
	leasesFor   func(epoch int64) Leases
	leases      Leases // set by Run before any reader starts
	deadLetters DeadLetters
	handler     Handler
	cfg         Config
	running     atomic.Bool
	// waiting holds why Run has not joined the stream's leases yet (the stream cannot be
	// described, the lease table not read), for readiness; nil once it has.
	waiting atomic.Pointer[error]
	// failing holds the dependencies failing now, for readiness (see stall.go).
	failing pipeline.Stalls
	// isolation tells records the worker fails on from a worker that fails everything.
	isolation pipeline.Isolation
	// failures paces the WARNs of the loops' failed calls (see logFailure).
	failures workerclient.FailureLog
}

// New returns a consumer; Run starts it. leasesFor returns the lease table of the stream's
// incarnation created at epoch (Unix seconds).
func New(client API, leasesFor func(epoch int64) Leases, deadLetters DeadLetters, handler Handler, cfg Config) *Consumer {
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	if cfg.LeaseDuration <= 0 {
		cfg.LeaseDuration = 10 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.RecordLimit <= 0 {
		cfg.RecordLimit = 1000
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.ShardSyncInterval <= 0 {
		cfg.ShardSyncInterval = 30 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.Ready == nil {
		cfg.Ready = func() bool { return true }
	}
	if cfg.Metrics == nil {
		cfg.Metrics = &ops.Metrics{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("lease_owner", cfg.Owner)
	c := &Consumer{client: client, leasesFor: leasesFor, deadLetters: deadLetters, handler: handler, cfg: cfg}
	c.isolation.Canary = canaryOf(handler)
	return c
}

// defaultOwner is unique per process: a restarted replica is a new owner, and its old leases
// expire rather than being mistaken for its own.
func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Running reports whether the consumer is taking part in the stream's leases, for readiness.
func (c *Consumer) Running() bool { return c.running.Load() }

// Waiting returns, for readiness, why the consumer has not joined the stream's leases yet, or
// nil: the last error describing the stream or reading the lease table before it first did.
func (c *Consumer) Waiting() error {
	if err := c.waiting.Load(); err != nil {
		return *err
	}
	return nil
}

// wait records why the consumer has not joined the stream's leases yet; nil once it has.
func (c *Consumer) wait(why error) {
	if why == nil {
		c.waiting.Store(nil)
		return
	}
	c.waiting.Store(&why)
}

// WorkerBroken returns, for readiness, why the worker counts as broken (it scores nothing while
// it refuses or crashes on every record tried alone), or nil. See pipeline.Isolation.
func (c *Consumer) WorkerBroken() error { return c.isolation.Err() }

// call bounds one AWS call by CallTimeout.
func (c *Consumer) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, CallTimeout(c.cfg.LeaseDuration))
}

// streamEpoch is the stream's creation time, which tells a stream created again under the
// same name from the old one.
func (c *Consumer) streamEpoch(ctx context.Context) (int64, error) {
	for attempt := 1; ; attempt++ {
		call, cancel := c.call(ctx)
		out, err := c.client.DescribeStreamSummary(call, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(c.cfg.StreamName)})
		cancel()
		if err == nil {
			return aws.ToTime(out.StreamDescriptionSummary.StreamCreationTimestamp).Unix(), nil
		}
		c.logFailure(ctx, c.cfg.Logger, err, false, "describing the stream", "stream", c.cfg.StreamName, "attempt", attempt)
		// A missing stream is a step left out, not an outage: say which.
		var missing *types.ResourceNotFoundException
		if errors.As(err, &missing) {
			c.wait(fmt.Errorf("stream %q does not exist (locally, make bootstrap creates it)", c.cfg.StreamName))
		} else {
			c.wait(fmt.Errorf("describing stream %q: %w", c.cfg.StreamName, err))
		}
		if werr := c.cfg.Retry.Wait(ctx, attempt); werr != nil {
			return 0, werr
		}
	}
}

// held is a lease this replica holds, shared by its reader (checkpoints) and the coordinator
// (renewals). mu guards the view of the lease and is never held across a call: a checkpoint
// that hangs must not hold up the renewals. The two writes may then cross: a renewal moves the
// counter a checkpoint in flight is conditional on, which fails it, and save tries again with
// the new counter (see moved); a checkpoint never moves what a renewal is conditional on.
type held struct {
	mu    sync.Mutex
	lease Lease
	// unsure is set while the last renewal failed without an answer: it may have landed.
	unsure bool
	lose   context.CancelFunc // stops the reader when the lease is lost
	lost   atomic.Bool        // set, before lose, when a renewal finds the lease taken
	proof  proof              // until when the lease is proven ours: reads and checkpoints stop after
	// renewing is set while a renewal is in flight: the next round skips the lease rather than
	// wait for it or send a second one conditional on the same counter.
	renewing atomic.Bool
	renewals sync.WaitGroup // the renewal in flight, which a release waits for
}

func (h *held) get() Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lease
}

// renewed records how a renewal ended: its new counter, or whether it may have landed unseen.
func (h *held) renewed(counter int64, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		h.lease.Counter = counter
	}
	h.unsure = err != nil && !errors.Is(err, ErrLeaseLost)
}

func (h *held) setCounter(counter int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lease.Counter = counter
}

func (h *held) checkpointed(cp string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lease.Checkpoint = cp
}

// moved reports whether a checkpoint conditional on l may have failed only because a renewal of
// ours crossed it: the counter moved since, or a renewal is in flight or unanswered.
func (h *held) moved(l Lease) bool {
	if h.lost.Load() {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lease.Counter != l.Counter || h.unsure || h.renewing.Load()
}

// outcome is how a reader ended.
type outcome int

const (
	stopped  outcome = iota // shutting down: release the lease once checkpointed
	finished                // read to the end of a closed shard
	lost                    // someone else holds the lease now
	failed                  // too many failures in a row: release it for another try
	gone                    // the stream does not know the shard: list the shards again
)

type ended struct {
	key string
	how outcome
}

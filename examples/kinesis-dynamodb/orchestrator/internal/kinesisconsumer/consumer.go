// Package kinesisconsumer feeds scoring requests from a Kinesis stream through the pipeline.
// Every shard is read by polling, in order, and checkpointed in DynamoDB only once the results
// of the records up to the checkpoint are stored, so a restart resumes where storing stopped.
//
// It is a small loop of its own rather than a KCL port: the Go ports of the KCL lag behind the
// SDK this module pins, and leases are the one thing they add. In exchange, run one
// orchestrator per stream: two would both read every shard (harmlessly, as stores are
// idempotent, but for nothing).
package kinesisconsumer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/ops"
	"example.com/kinesis-dynamodb/orchestrator/internal/pipeline"
)

// API is the part of *kinesis.Client the consumer uses.
type API interface {
	ListShards(ctx context.Context, in *kinesis.ListShardsInput, optFns ...func(*kinesis.Options)) (*kinesis.ListShardsOutput, error)
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// Handler scores requests and stores the results; *pipeline.Processor is one.
type Handler interface {
	Handle(ctx context.Context, reqs []*scoringv1.ScoreRequest) (rejected map[int]error, err error)
}

// Config tunes a Consumer; zero values pick the defaults.
type Config struct {
	StreamName string
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
	// Ready, when set, holds up the retry of a failed batch while it returns false (the results
	// sink failed and has not passed a probe since), rather than rescoring it for nothing.
	Ready func() bool
	// Retry paces retries of failed reads, batches and checkpoints.
	Retry   pipeline.Retry
	Metrics *ops.Metrics
	Logger  *slog.Logger
}

// Consumer reads every shard of a stream.
type Consumer struct {
	client      API
	checkpoints Checkpoints
	handler     Handler
	cfg         Config
	running     atomic.Bool
}

// New returns a consumer; Run starts it.
func New(client API, checkpoints Checkpoints, handler Handler, cfg Config) *Consumer {
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
	return &Consumer{client: client, checkpoints: checkpoints, handler: handler, cfg: cfg}
}

// Running reports whether the consumer has found its shards and is reading them, for readiness.
func (c *Consumer) Running() bool { return c.running.Load() }

type shardEnd struct {
	id       string
	finished bool
}

// Run reads the stream until ctx is done, then lets each shard finish and checkpoint the batch
// in hand within ShutdownTimeout. Failures are retried for as long as it runs: a stream has no
// dead-letter queue, so giving up would lose records.
func (c *Consumer) Run(ctx context.Context) error {
	// Batches in hand outlive ctx, so SIGTERM does not throw away work done; cutOff ends them
	// when the shutdown timeout runs out, and they are read again after the restart.
	work, cutOff := context.WithCancel(context.WithoutCancel(ctx))
	defer cutOff()
	var (
		readers  sync.WaitGroup
		ended    = make(chan shardEnd)
		active   = map[string]bool{}
		finished = map[string]bool{}
	)
	for failures := 0; ; {
		wait := c.cfg.ShardSyncInterval
		if err := c.startShards(ctx, work, active, finished, &readers, ended); err != nil {
			failures++
			wait = c.cfg.Retry.Delay(failures)
			c.cfg.Logger.Error("looking for shards", "error", err, "consecutive_failures", failures)
		} else {
			failures = 0
			c.running.Store(true)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			c.running.Store(false)
			if pipeline.Drain(&readers, c.cfg.ShutdownTimeout, cutOff) {
				c.cfg.Logger.Warn("shutdown timeout reached; unfinished batches will be read again", "timeout", c.cfg.ShutdownTimeout.String())
			}
			return nil
		case e := <-ended:
			// A finished shard's children may start now, without waiting for the next sync.
			timer.Stop()
			delete(active, e.id)
			finished[e.id] = finished[e.id] || e.finished
		case <-timer.C:
		}
	}
}

// startShards lists the stream's shards and starts a reader for each that is neither read
// nor finished, once its parents are finished, so that records of one partition key are
// handled in order across a split or merge.
func (c *Consumer) startShards(ctx, work context.Context, active, finished map[string]bool, readers *sync.WaitGroup, ended chan<- shardEnd) error {
	shards, err := c.listShards(ctx)
	if err != nil {
		return err
	}
	listed := make(map[string]types.Shard, len(shards))
	pending := map[string]Checkpoint{}
	for _, s := range shards {
		id := aws.ToString(s.ShardId)
		listed[id] = s
		if active[id] || finished[id] {
			continue
		}
		cp, err := c.checkpoints.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("reading the checkpoint of %s: %w", id, err)
		}
		if cp.Finished {
			finished[id] = true
			continue
		}
		pending[id] = cp
	}
	for id, cp := range pending {
		if !parentsDone(listed[id], listed, finished) {
			continue
		}
		active[id] = true
		readers.Go(func() {
			done := c.readShard(ctx, work, id, cp)
			select {
			case ended <- shardEnd{id: id, finished: done}:
			case <-ctx.Done():
			}
		})
	}
	return nil
}

// parentsDone reports whether s's parents are read to their end. A parent no longer listed has
// aged out of the stream's retention: nothing is left to read in it.
func parentsDone(s types.Shard, listed map[string]types.Shard, finished map[string]bool) bool {
	for _, p := range []*string{s.ParentShardId, s.AdjacentParentShardId} {
		if _, ok := listed[aws.ToString(p)]; ok && !finished[aws.ToString(p)] {
			return false
		}
	}
	return true
}

func (c *Consumer) listShards(ctx context.Context) ([]types.Shard, error) {
	in := &kinesis.ListShardsInput{StreamName: aws.String(c.cfg.StreamName)}
	var shards []types.Shard
	for {
		out, err := c.client.ListShards(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("listing the shards of %q: %w", c.cfg.StreamName, err)
		}
		shards = append(shards, out.Shards...)
		if out.NextToken == nil {
			return shards, nil
		}
		// A call with a token must not name the stream again.
		in = &kinesis.ListShardsInput{NextToken: out.NextToken}
	}
}

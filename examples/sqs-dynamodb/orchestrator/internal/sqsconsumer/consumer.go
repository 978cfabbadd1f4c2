// Package sqsconsumer feeds scoring requests from an SQS queue through the pipeline: receive,
// score, store, and only then delete.
package sqsconsumer

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// API is the part of *sqs.Client the consumer uses.
type API interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Handler scores requests and stores the results; *pipeline.Processor is one. One that also
// has Canary (as *pipeline.Processor does) lets isolation ask the worker whether it scores at
// all, rather than wait for other traffic to say so (see pipeline.Isolation).
type Handler interface {
	Handle(ctx context.Context, reqs []*scoringv1.ScoreRequest) (rejected map[int]error, err error)
}

// Config tunes a Consumer; zero values pick the defaults.
type Config struct {
	// QueueName is resolved to the queue's URL at startup.
	QueueName string
	// Concurrency is how many receive-and-handle loops run at once, each holding the up to
	// ten messages of one receive. Default 20.
	Concurrency int
	// VisibilityTimeout is how long a received message stays hidden from other consumers.
	// It is extended while work is slow. Default 30s.
	VisibilityTimeout time.Duration
	// ShutdownTimeout bounds how long in-flight messages may take to finish once Run's context
	// is done; whatever is still unfinished then is made visible again at once. Default 10s.
	ShutdownTimeout time.Duration
	// LongPoll is how long a receive waits for messages on an idle queue, in whole seconds.
	// Default 20s, SQS's most: an idle queue costs one request per 20s, not a busy loop.
	LongPoll time.Duration
	// AnswerTimeout is how long SQS or the results table may take to answer a call that asks
	// it to wait for nothing; every AWS call's bound derives from it and LongPoll (deadline.go).
	// Default 5s.
	AnswerTimeout time.Duration
	// TidyGrace is how long deletes and releases may still take once work has been cut off at
	// the shutdown timeout, so Run returns at most ShutdownTimeout plus TidyGrace after its
	// context is done. Zero leaves none: tidying stops with the cut.
	TidyGrace time.Duration
	// Ready gates receiving. While it returns false (the worker is known to be down, or the
	// results sink failed and has not passed a probe since), nothing is received, so messages
	// do not burn receives towards the dead-letter queue for nothing: however long the outage,
	// the messages in hand when it began stay hidden and are retried once it is over, so it
	// costs them no receive.
	Ready func() bool
	// Retry paces retries of failed receives and deletes.
	Retry   pipeline.Retry
	Metrics *ops.Metrics
	Logger  *slog.Logger
}

// Consumer receives scoring requests from an SQS queue. Delivery is at least once: a message is
// deleted only after its result is stored, so a crash at any point means a redelivery, never a loss.
type Consumer struct {
	client   API
	handler  Handler
	cfg      Config
	queueURL string
	dlqURL   string // "" when the queue has no redrive policy
	running  atomic.Bool
	// stalls holds the queue calls failing now, for readiness (see stall.go).
	stalls pipeline.Stalls
	// tidy bounds the calls that tidy up after handling (deletes, releases): they run even
	// after work is cut off, but only for a short grace period after that.
	tidy context.Context
	// isolation tells messages the worker fails on from a worker that fails everything.
	isolation pipeline.Isolation
	// failures paces the WARNs of the loops' failed calls (see logFailure).
	failures workerclient.FailureLog
}

// New returns a consumer; Run starts it.
func New(client API, handler Handler, cfg Config) *Consumer {
	c := &Consumer{client: client, handler: handler, cfg: cfg.withDefaults(), tidy: context.Background()}
	c.isolation.Canary = canaryOf(handler)
	return c
}

// defaultConcurrency is CONCURRENCY's default and receiveMax the most messages SQS returns per
// receive (its own limit). Their product is what one replica works on at once, which KEDA's
// queueLength in deploy/kubernetes is derived from: both are rendered from one table
// (create-hybrid-backend's src/render/settings.ts).
const (
	defaultConcurrency = 20
	receiveMax         = 10
)

func (cfg Config) withDefaults() Config {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = defaultConcurrency
	}
	if cfg.VisibilityTimeout < time.Second {
		cfg.VisibilityTimeout = 30 * time.Second
	}
	if cfg.LongPoll < time.Second || cfg.LongPoll > MaxLongPoll {
		cfg.LongPoll = MaxLongPoll
	}
	cfg.LongPoll = cfg.LongPoll.Truncate(time.Second)
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = 5 * time.Second
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
	return cfg
}

// Running reports whether the consumer is receiving, for readiness.
func (c *Consumer) Running() bool { return c.running.Load() }

// WorkerBroken returns, for readiness, why the worker counts as broken (it scores nothing while
// it refuses or crashes on every message tried alone), or nil. See pipeline.Isolation.
func (c *Consumer) WorkerBroken() error { return c.isolation.Err() }

// Run consumes until ctx is done, then stops receiving and lets in-flight messages finish within
// ShutdownTimeout. It returns an error only when the queue cannot be found at startup.
func (c *Consumer) Run(ctx context.Context) error {
	if err := c.cfg.Retry.Do(ctx, c.resolve, nil); err != nil {
		return err
	}
	// In-flight work outlives ctx; the cut ends it when the shutdown timeout runs out.
	shutdown := pipeline.NewShutdown(ctx, c.cfg.TidyGrace)
	defer shutdown.Close()
	c.tidy = shutdown.Tidy
	var loops sync.WaitGroup
	for range c.cfg.Concurrency {
		loops.Go(func() { c.loop(ctx, shutdown.Work) })
	}
	c.running.Store(true)
	c.cfg.Logger.Info("consuming", "queue_url", c.queueURL, "dead_letter_queue_url", c.dlqURL, "concurrency", c.cfg.Concurrency)

	<-ctx.Done()
	c.running.Store(false)
	if pipeline.Drain(&loops, c.cfg.ShutdownTimeout, shutdown.Cut) {
		c.cfg.Logger.Warn("shutdown timeout reached; unfinished messages were released", "timeout", c.cfg.ShutdownTimeout.String())
	}
	return nil
}

// resolve finds the queue's URL and, from its redrive policy, the dead-letter queue's. Each
// call has its own bound (answer), and Run's Retry tries again after any failure.
func (c *Consumer) resolve(ctx context.Context) error {
	var out *sqs.GetQueueUrlOutput
	err := c.answer(ctx, fmt.Sprintf("GetQueueUrl (finding queue %q)", c.cfg.QueueName), func(ctx context.Context) (err error) {
		out, err = c.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(c.cfg.QueueName)})
		return err
	})
	if err != nil {
		return err
	}
	c.queueURL = aws.ToString(out.QueueUrl)
	var attrs *sqs.GetQueueAttributesOutput
	err = c.answer(ctx, fmt.Sprintf("GetQueueAttributes (reading the redrive policy of %q)", c.cfg.QueueName), func(ctx context.Context) (err error) {
		attrs, err = c.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       out.QueueUrl,
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy},
		})
		return err
	})
	if err != nil {
		return err
	}
	policy := attrs.Attributes[string(types.QueueAttributeNameRedrivePolicy)]
	if policy == "" {
		c.cfg.Logger.Warn("queue has no redrive policy: poison messages stay on it until they expire", "queue", c.cfg.QueueName)
		return nil
	}
	var p struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		return fmt.Errorf("queue %q: unreadable redrive policy %q: %w", c.cfg.QueueName, policy, err)
	}
	// An ARN reads arn:partition:sqs:region:account:name.
	arn := strings.Split(p.DeadLetterTargetArn, ":")
	if len(arn) != 6 {
		return fmt.Errorf("queue %q: redrive policy names no queue ARN: %q", c.cfg.QueueName, policy)
	}
	var dlq *sqs.GetQueueUrlOutput
	err = c.answer(ctx, fmt.Sprintf("GetQueueUrl (finding dead-letter queue %q)", arn[5]), func(ctx context.Context) (err error) {
		dlq, err = c.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(arn[5]), QueueOwnerAWSAccountId: aws.String(arn[4])})
		return err
	})
	if err != nil {
		return err
	}
	c.dlqURL = aws.ToString(dlq.QueueUrl)
	return nil
}

package sqsconsumer

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"

	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

// A producer's trace context travels in the message's attributes, traceparent, tracestate and
// baggage as String attributes, the way the W3C headers travel over HTTP; SQS allows ten
// attributes a message and these take at most three.

var (
	processDuration = telemetry.NewHistogram(telemetry.MessagingProcessDurationSeconds, telemetry.DurationBuckets)
	batchSize       = telemetry.NewHistogram(telemetry.MessagingBatchMessageCount, telemetry.CountBuckets)
	messageAge      = telemetry.NewHistogram(telemetry.OrchestratorMessageAgeSeconds, telemetry.AgeBuckets)
)

// system is the messaging.system value for SQS.
var system = semconv.MessagingSystemAWSSQS.Value.AsString()

// Outcomes of a message, as the process duration's outcome label has them.
const (
	outcomeProcessed    = "processed"
	outcomeDeadLettered = "dead_lettered"
	outcomeFailed       = "failed"
)

// Attributes carries a trace context in SQS message attributes; it is an OpenTelemetry TextMapCarrier.
type Attributes map[string]types.MessageAttributeValue

// Get returns the attribute key's string value, or "".
func (a Attributes) Get(key string) string { return aws.ToString(a[key].StringValue) }

// Set sets key as a String attribute.
func (a Attributes) Set(key, value string) {
	a[key] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(value)}
}

// Keys lists the attributes' names.
func (a Attributes) Keys() []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	return keys
}

// Inject adds ctx's trace context and baggage to attrs, for a producer (cmd/produce) to send.
func Inject(ctx context.Context, attrs map[string]types.MessageAttributeValue) {
	otel.GetTextMapPropagator().Inject(ctx, Attributes(attrs))
}

// Extract returns ctx with the trace context and baggage m's producer sent, if it sent any.
func Extract(ctx context.Context, m types.Message) context.Context {
	return otel.GetTextMapPropagator().Extract(ctx, Attributes(m.MessageAttributes))
}

// receipt is one receive's messages while they are handled: a consumer span for each, a
// child of the span its producer sent, and what became of each.
type receipt struct {
	queue    string
	at       time.Time
	ctxs     []context.Context // msgs[i]'s span's context
	spans    []trace.Span
	outcomes []string
}

func (c *Consumer) receive(ctx context.Context, msgs []types.Message) *receipt {
	r := &receipt{queue: c.cfg.QueueName, at: time.Now(), outcomes: make([]string, len(msgs))}
	batchSize.WithLabelValues(system, r.queue).Observe(float64(len(msgs)))
	for _, m := range msgs {
		if age, ok := messageAgeAt(m, r.at); ok {
			messageAge.WithLabelValues(r.queue).Observe(age.Seconds())
		}
		mctx, span := telemetry.Tracer().Start(Extract(ctx, m), "process "+r.queue,
			trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithAttributes(
				semconv.MessagingSystemAWSSQS,
				semconv.MessagingOperationTypeProcess,
				semconv.MessagingDestinationName(r.queue),
				semconv.MessagingMessageID(aws.ToString(m.MessageId)),
			))
		r.ctxs = append(r.ctxs, mctx)
		r.spans = append(r.spans, span)
	}
	return r
}

// batch returns the context the messages at from are scored in together. One message's is its
// own span's. Several get a batch span, linked to each message's span: in their trace, under
// the first message's span, when they share one; when they mix traces, in a new one, as a
// span has one parent.
func (r *receipt) batch(ctx context.Context, from []int) (context.Context, func()) {
	if len(from) == 1 {
		return r.ctxs[from[0]], func() {}
	}
	links := make([]trace.Link, len(from))
	first := trace.SpanContextFromContext(r.ctxs[from[0]])
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
	shared := true
	for k, i := range from {
		sc := trace.SpanContextFromContext(r.ctxs[i])
		links[k] = trace.Link{SpanContext: sc}
		shared = shared && sc.TraceID() == first.TraceID()
	}
	if shared {
		ctx = r.ctxs[from[0]]
	} else {
		opts = append(opts, trace.WithNewRoot())
	}
	ctx, span := telemetry.Tracer().Start(ctx, "process "+r.queue, append(opts,
		trace.WithLinks(links...),
		trace.WithAttributes(
			semconv.MessagingSystemAWSSQS,
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingDestinationName(r.queue),
			semconv.MessagingBatchMessageCount(len(from)),
		))...)
	return ctx, func() { span.End() }
}

// links links to the spans of the messages at from.
func (r *receipt) links(from []int) []trace.Link {
	links := make([]trace.Link, len(from))
	for k, i := range from {
		links[k] = trace.LinkFromContext(r.ctxs[i])
	}
	return links
}

// finish ends every message's span and records its duration, receive to delete, by outcome;
// a message with no outcome set failed and will be redelivered.
func (r *receipt) finish(err error) {
	took := time.Since(r.at).Seconds()
	for i, span := range r.spans {
		outcome := r.outcomes[i]
		if outcome == "" {
			outcome = outcomeFailed
			if err != nil {
				span.SetStatus(codes.Error, err.Error())
			}
		}
		span.SetAttributes(attribute.String("outcome", outcome))
		span.End()
		processDuration.WithLabelValues(system, r.queue, outcome).Observe(took)
	}
}

// messageAgeAt is how long before now m was sent, from its SentTimestamp system attribute
// (milliseconds since the epoch); false when SQS did not send it. Clocks differ a little
// between SQS and this host, so a negative age counts as zero.
func messageAgeAt(m types.Message, now time.Time) (time.Duration, bool) {
	ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64)
	if err != nil {
		return 0, false
	}
	return max(now.Sub(time.UnixMilli(ms)), 0), true
}

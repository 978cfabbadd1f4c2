package kinesisconsumer

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"

	"example.com/kinesis-dynamodb/orchestrator/internal/telemetry"
)

// Each batch of records starts a new trace: a consumer span, "process STREAM", whose children
// are the worker calls and the writes. Kinesis records have no attributes, so a producer's
// trace context could only travel inside the record's data, in an envelope around the
// ScoreRequest; that would make the stream's format this code's own, and every producer
// (firehoses, other teams' services, the AWS CLI) would have to wrap its records. Links would
// need the same context to point at, so they are no alternative. The span carries the shard and
// the batch's first and last sequence numbers instead, which find the records in the stream.

var (
	processDuration = telemetry.NewHistogram(telemetry.MessagingProcessDurationSeconds, telemetry.DurationBuckets)
	batchSize       = telemetry.NewHistogram(telemetry.MessagingBatchMessageCount, telemetry.CountBuckets)
	// The semantic conventions list no value for Kinesis; this is the name otelaws uses for the service.
	system = "aws_kinesis"
)

// batchSpan is one record batch being handled.
type batchSpan struct {
	span   trace.Span
	stream string
	at     time.Time
}

func (c *Consumer) startBatch(ctx context.Context, shard string, records []types.Record) (context.Context, *batchSpan) {
	batchSize.WithLabelValues(system, c.cfg.StreamName).Observe(float64(len(records)))
	ctx, span := telemetry.Tracer().Start(ctx, "process "+c.cfg.StreamName,
		trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			semconv.MessagingSystemKey.String(system),
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingDestinationName(c.cfg.StreamName),
			semconv.MessagingDestinationPartitionID(shard),
			semconv.MessagingBatchMessageCount(len(records)),
			attribute.String("aws.kinesis.first_sequence_number", aws.ToString(records[0].SequenceNumber)),
			attribute.String("aws.kinesis.last_sequence_number", aws.ToString(records[len(records)-1].SequenceNumber)),
		))
	return ctx, &batchSpan{span: span, stream: c.cfg.StreamName, at: time.Now()}
}

// end ends the span and records the batch's duration by outcome.
func (b *batchSpan) end(err error) {
	outcome := "processed"
	if err != nil {
		outcome = "failed"
		b.span.SetStatus(codes.Error, err.Error())
	}
	b.span.SetAttributes(attribute.String("outcome", outcome))
	b.span.End()
	processDuration.WithLabelValues(system, b.stream, outcome).Observe(time.Since(b.at).Seconds())
}

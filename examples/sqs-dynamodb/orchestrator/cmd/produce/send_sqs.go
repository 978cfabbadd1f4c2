package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"

	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/sqsconsumer"
	"example.com/sqs-dynamodb/orchestrator/internal/telemetry"
)

func newSender(awsCfg aws.Config, cfg config.Config) sender {
	return &queueSender{client: sqs.NewFromConfig(awsCfg), name: cfg.QueueName}
}

type queueSender struct {
	client *sqs.Client
	name   string
	url    string
}

// batchSize is SendMessageBatch's limit.
func (*queueSender) batchSize() int { return 10 }

func (s *queueSender) send(ctx context.Context, batch []message) (map[int]error, error) {
	if s.url == "" {
		out, err := s.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(s.name)})
		if err != nil {
			// Only a missing queue is bootstrap's to fix; a wrong endpoint or credentials are not.
			var missing *types.QueueDoesNotExist
			if errors.As(err, &missing) {
				return nil, fmt.Errorf("queue %q does not exist (make bootstrap creates it): %w", s.name, err)
			}
			return nil, fmt.Errorf("finding queue %q: %w", s.name, err)
		}
		s.url = aws.ToString(out.QueueUrl)
	}
	// A producer span per batch, whose context every message carries in its attributes: the
	// orchestrator's consumer spans continue this trace.
	ctx, span := telemetry.Tracer().Start(ctx, "send "+s.name,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			semconv.MessagingSystemAWSSQS,
			semconv.MessagingOperationTypeSend,
			semconv.MessagingDestinationName(s.name),
			semconv.MessagingBatchMessageCount(len(batch)),
		))
	defer span.End()
	entries := make([]types.SendMessageBatchRequestEntry, len(batch))
	for i, m := range batch {
		attrs := map[string]types.MessageAttributeValue{}
		sqsconsumer.Inject(ctx, attrs)
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(m.body)), MessageAttributes: attrs}
	}
	out, err := s.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.url), Entries: entries})
	if err != nil {
		return nil, err
	}
	failed := map[int]error{}
	for _, f := range out.Failed {
		i, err := strconv.Atoi(aws.ToString(f.Id))
		if err != nil || i < 0 || i >= len(batch) {
			return nil, fmt.Errorf("SendMessageBatch failed an entry it was not sent: %q", aws.ToString(f.Id))
		}
		err = fmt.Errorf("%s: %s: %s", batch[i].id, aws.ToString(f.Code), aws.ToString(f.Message))
		if f.SenderFault {
			// The message itself is at fault; sending it again would fail again.
			return nil, err
		}
		failed[i] = err
	}
	return failed, nil
}

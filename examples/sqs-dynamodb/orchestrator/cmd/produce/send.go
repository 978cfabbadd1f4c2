package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/config"
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
			return nil, fmt.Errorf("finding queue %q (run bootstrap first?): %w", s.name, err)
		}
		s.url = aws.ToString(out.QueueUrl)
	}
	entries := make([]types.SendMessageBatchRequestEntry, len(batch))
	for i, m := range batch {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(m.body))}
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

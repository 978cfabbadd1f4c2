package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"example.com/kinesis-dynamodb/orchestrator/internal/config"
)

func newSender(awsCfg aws.Config, cfg config.Config) sender {
	return &streamSender{client: kinesis.NewFromConfig(awsCfg), name: cfg.StreamName}
}

type streamSender struct {
	client *kinesis.Client
	name   string
}

// batchSize is PutRecords' limit.
func (*streamSender) batchSize() int { return 500 }

func (s *streamSender) send(ctx context.Context, batch []message) (map[int]error, error) {
	entries := make([]types.PutRecordsRequestEntry, len(batch))
	for i, m := range batch {
		// The id as partition key keeps the deliveries of one request on one shard, in order.
		entries[i] = types.PutRecordsRequestEntry{Data: m.body, PartitionKey: aws.String(m.id)}
	}
	out, err := s.client.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String(s.name), Records: entries})
	if err != nil {
		// Only a missing stream is bootstrap's to fix; a wrong endpoint or credentials are not.
		var missing *types.ResourceNotFoundException
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("stream %q does not exist (make bootstrap creates it): %w", s.name, err)
		}
		return nil, fmt.Errorf("putting records on %q: %w", s.name, err)
	}
	if len(out.Records) != len(batch) {
		return nil, errors.New("PutRecords answered for a different number of records than it was sent")
	}
	failed := map[int]error{}
	for i, r := range out.Records {
		if r.ErrorCode != nil {
			failed[i] = fmt.Errorf("%s: %s: %s", batch[i].id, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
		}
	}
	return failed, nil
}

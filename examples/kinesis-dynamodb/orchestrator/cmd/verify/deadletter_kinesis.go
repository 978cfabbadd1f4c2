package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"example.com/kinesis-dynamodb/orchestrator/internal/awsenv"
	"example.com/kinesis-dynamodb/orchestrator/internal/config"
)

// With -dlq, verify also requires the dead-letter table to hold at least one record with
// its payload and reason (the poison record that `produce -poison` sends): a stream has
// no dead-letter queue, so the orchestrator keeps such records in DEAD_LETTER_TABLE.
var dlq = flag.Bool("dlq", false, "also require a record, with its payload and reason, in the dead-letter table")

func init() {
	afterResults = append(afterResults, func(ctx context.Context, cfg config.Config) error {
		if !*dlq {
			return nil
		}
		return awaitDeadLetter(ctx, cfg)
	})
}

// awaitDeadLetter waits until the dead-letter table holds a record with a payload and a reason.
func awaitDeadLetter(ctx context.Context, cfg config.Config) error {
	awsCfg, err := awsenv.Load(ctx, 0)
	if err != nil {
		return err
	}
	client := dynamodb.NewFromConfig(awsCfg)
	table := cfg.DeadLetterTable
	for {
		// The smoke's table holds a record or two: one page of a scan reads it all.
		out, err := client.Scan(ctx, &dynamodb.ScanInput{
			TableName:            aws.String(table),
			ProjectionExpression: aws.String("payload, reason"),
			ConsistentRead:       aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("reading %s: %w", table, err)
		}
		for _, item := range out.Items {
			if item["payload"] != nil && item["reason"] != nil {
				fmt.Printf("verify: %s holds %d record(s)\n", table, len(out.Items))
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no record with its payload and reason reached %s", table)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

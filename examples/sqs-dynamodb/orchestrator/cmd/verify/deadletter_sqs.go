package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/sqsconsumer"
)

// With -dlq, verify also requires the dead-letter queue to hold at least one message
// (the poison message that `produce -poison` sends).
var dlq = flag.Bool("dlq", false, "also require a message in the dead-letter queue")

func init() {
	afterResults = append(afterResults, func(ctx context.Context, cfg config.Config) error {
		if !*dlq {
			return nil
		}
		return awaitDeadLetter(ctx, cfg)
	})
}

// awaitDeadLetter waits until the queue's dead-letter queue holds a message.
func awaitDeadLetter(ctx context.Context, cfg config.Config) error {
	awsCfg, err := awsenv.Load(ctx, 0)
	if err != nil {
		return err
	}
	client := sqs.NewFromConfig(awsCfg)
	name := sqsconsumer.DeadLetterQueueName(cfg.QueueName)
	url, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("finding %s: %w", name, err)
	}
	for {
		out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: url.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{
				sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			},
		})
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		visible, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
		hidden, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
		if visible+hidden > 0 {
			fmt.Printf("verify: %s holds %d message(s)\n", name, visible+hidden)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no message reached %s", name)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

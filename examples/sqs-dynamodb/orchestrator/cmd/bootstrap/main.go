// Command bootstrap creates the AWS resources the orchestrator uses, named by the same
// environment variables it reads. Existing resources are fine (queue attributes are brought
// in line), so it is safe to run before every start, against AWS or an emulator.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/cmdline"
	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
	"example.com/sqs-dynamodb/orchestrator/internal/sqsconsumer"
)

// How long to wait for a new stream or table to become ACTIVE.
const activeTimeout = 5 * time.Minute

func main() {
	// It takes no flags: its settings are the orchestrator's environment variables.
	cmdline.Parse("bootstrap", flag.CommandLine, os.Args[1:])
	cfg, err := config.Load(os.Environ())
	if err != nil {
		// Bad input (exit 2), told apart from a failing AWS call: nothing was created.
		cmdline.BadInput("bootstrap", err)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		os.Exit(1)
	}
}

func run(cfg config.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*activeTimeout)
	defer cancel()
	awsCfg, err := awsenv.Load(ctx, 0)
	if err != nil {
		return err
	}
	if err := ensureQueue(ctx, sqs.NewFromConfig(awsCfg), cfg.QueueName, cfg.VisibilityTimeout); err != nil {
		return err
	}
	if err := awsenv.EnsureTable(ctx, dynamodb.NewFromConfig(awsCfg), cfg.ResultsTable, results.DynamoDBKey, activeTimeout); err != nil {
		return err
	}
	fmt.Println("table ready:", cfg.ResultsTable)
	return nil
}

// ensureQueue creates the queue and its dead-letter queue (sqsconsumer.DeadLetterQueueName),
// then sets their attributes. CreateQueue is called without attributes because it fails on an
// existing queue whose attributes differ; setting them afterwards converges an existing queue
// instead.
func ensureQueue(ctx context.Context, client *sqs.Client, name string, visibility time.Duration) error {
	dlqName := sqsconsumer.DeadLetterQueueName(name)
	dlqURL, err := createQueue(ctx, client, dlqName, map[string]string{
		// The longest SQS allows, to leave time to look into what landed there.
		string(types.QueueAttributeNameMessageRetentionPeriod): "1209600",
	})
	if err != nil {
		return err
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(dlqURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("reading the ARN of %s: %w", dlqName, err)
	}
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, attrs.Attributes[string(types.QueueAttributeNameQueueArn)], sqsconsumer.MaxReceiveCount)
	_, err = createQueue(ctx, client, name, map[string]string{
		string(types.QueueAttributeNameVisibilityTimeout):             fmt.Sprint(int(visibility / time.Second)),
		string(types.QueueAttributeNameReceiveMessageWaitTimeSeconds): fmt.Sprint(int(sqsconsumer.MaxLongPoll / time.Second)),
		string(types.QueueAttributeNameRedrivePolicy):                 policy,
	})
	return err
}

func createQueue(ctx context.Context, client *sqs.Client, name string, attrs map[string]string) (string, error) {
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("creating queue %s: %w", name, err)
	}
	if _, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: out.QueueUrl, Attributes: attrs}); err != nil {
		return "", fmt.Errorf("setting the attributes of queue %s: %w", name, err)
	}
	fmt.Println("queue ready:", aws.ToString(out.QueueUrl))
	return aws.ToString(out.QueueUrl), nil
}

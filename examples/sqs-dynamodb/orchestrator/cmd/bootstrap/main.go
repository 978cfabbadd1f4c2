// Command bootstrap creates the AWS resources the orchestrator uses, named by the same
// environment variables it reads. Existing resources are fine (queue attributes are brought
// in line), so it is safe to run before every start, against AWS or an emulator.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/config"
	"example.com/sqs-dynamodb/orchestrator/internal/results"
)

// How long to wait for a new stream or table to become ACTIVE.
const activeTimeout = 5 * time.Minute

func main() {
	cfg, err := config.Load(os.Environ())
	if err != nil {
		// Bad input (exit 2), told apart from a failing AWS call: nothing was created.
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		os.Exit(2)
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

// maxReceiveCount is how many receives a message gets before the redrive policy moves it to
// the dead-letter queue: enough to ride out a worker restart, few enough to surface a real fault.
const maxReceiveCount = 5

// ensureQueue creates the queue and NAME-dlq, then sets their attributes. CreateQueue is called
// without attributes because it fails on an existing queue whose attributes differ; setting them
// afterwards converges an existing queue instead.
func ensureQueue(ctx context.Context, client *sqs.Client, name string, visibility time.Duration) error {
	dlqURL, err := createQueue(ctx, client, name+"-dlq", map[string]string{
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
		return fmt.Errorf("reading the ARN of %s-dlq: %w", name, err)
	}
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, attrs.Attributes[string(types.QueueAttributeNameQueueArn)], maxReceiveCount)
	_, err = createQueue(ctx, client, name, map[string]string{
		string(types.QueueAttributeNameVisibilityTimeout):             fmt.Sprint(int(visibility / time.Second)),
		string(types.QueueAttributeNameReceiveMessageWaitTimeSeconds): "20",
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

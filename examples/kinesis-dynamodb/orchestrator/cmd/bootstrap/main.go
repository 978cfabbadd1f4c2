// Command bootstrap creates the AWS resources the orchestrator uses, named by the same
// environment variables it reads. Existing resources are fine (queue attributes are brought
// in line), so it is safe to run before every start, against AWS or an emulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"example.com/kinesis-dynamodb/orchestrator/internal/awsenv"
	"example.com/kinesis-dynamodb/orchestrator/internal/cmdline"
	"example.com/kinesis-dynamodb/orchestrator/internal/config"
	"example.com/kinesis-dynamodb/orchestrator/internal/kinesisconsumer"
	"example.com/kinesis-dynamodb/orchestrator/internal/results"
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
	if err := ensureStream(ctx, kinesis.NewFromConfig(awsCfg), cfg.StreamName); err != nil {
		return err
	}
	for _, t := range []struct{ name, key string }{
		{cfg.LeaseTable, kinesisconsumer.LeaseKey},
		{cfg.DeadLetterTable, kinesisconsumer.DeadLetterKey},
	} {
		if err := awsenv.EnsureTable(ctx, dynamodb.NewFromConfig(awsCfg), t.name, t.key, activeTimeout); err != nil {
			return err
		}
		fmt.Println("table ready:", t.name)
	}
	if err := awsenv.EnsureTTL(ctx, dynamodb.NewFromConfig(awsCfg), cfg.DeadLetterTable, kinesisconsumer.DeadLetterExpiry); err != nil {
		return fmt.Errorf("dead letters expire (DEAD_LETTER_TABLE): %w", err)
	}
	if err := awsenv.EnsureTable(ctx, dynamodb.NewFromConfig(awsCfg), cfg.ResultsTable, results.DynamoDBKey, activeTimeout); err != nil {
		return err
	}
	fmt.Println("table ready:", cfg.ResultsTable)
	return nil
}

// shardCount is the new stream's: each shard takes 1 MB/s or 1000 records/s.
const shardCount = 2

// ensureStream creates the stream unless it exists, and waits until it is ACTIVE.
func ensureStream(ctx context.Context, client *kinesis.Client, name string) error {
	_, err := client.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String(name), ShardCount: aws.Int32(shardCount)})
	var exists *types.ResourceInUseException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("creating stream %s: %w", name, err)
	}
	if err := kinesis.NewStreamExistsWaiter(client).Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String(name)}, activeTimeout); err != nil {
		return fmt.Errorf("waiting for stream %s: %w", name, err)
	}
	fmt.Println("stream ready:", name)
	return nil
}

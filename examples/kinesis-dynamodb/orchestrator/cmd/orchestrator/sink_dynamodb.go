package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"example.com/kinesis-dynamodb/orchestrator/internal/config"
	"example.com/kinesis-dynamodb/orchestrator/internal/results"
)

// newSink stores each result in the DynamoDB table cfg.ResultsTable, through a client of
// awsCfg: the ingress's AWS config, bounded as the table's calls need.
func newSink(awsCfg aws.Config, cfg config.Config, _ *slog.Logger) results.Sink {
	return results.NewDynamoDB(dynamodb.NewFromConfig(awsCfg), cfg.ResultsTable)
}

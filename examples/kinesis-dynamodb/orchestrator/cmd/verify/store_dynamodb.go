package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/awsenv"
	"example.com/kinesis-dynamodb/orchestrator/internal/config"
	"example.com/kinesis-dynamodb/orchestrator/internal/results"
)

// table is the DynamoDB results table the orchestrator writes, one item per request id.
type table struct {
	client *dynamodb.Client
	name   string
}

func openStore(ctx context.Context, cfg config.Config) (resultStore, error) {
	awsCfg, err := awsenv.Load(ctx, 0)
	if err != nil {
		return nil, err
	}
	return table{dynamodb.NewFromConfig(awsCfg), cfg.ResultsTable}, nil
}

func (t table) String() string { return "table " + t.name }

// read scans the whole table, consistently, so it sees every result the run stored,
// including one for an id no vector sent (check fails on that). The smoke run's table is
// fresh and holds only what this run wrote; a Scan is one call per 1 MB page instead of
// one GetItem per id.
func (t table) read(ctx context.Context, _ map[string]*scoringv1.ScoreResponse) (found, error) {
	var items []map[string]types.AttributeValue
	pages := dynamodb.NewScanPaginator(t.client, &dynamodb.ScanInput{
		TableName:      aws.String(t.name),
		ConsistentRead: aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("scanning %s: %w", t.name, err)
		}
		items = append(items, page.Items...)
	}
	return collect(items)
}

// collect turns the table's items into results by request id; an item without an id or
// with an unreadable score is an error, not a result left out.
func collect(items []map[string]types.AttributeValue) (found, error) {
	got := make(found, len(items))
	for _, item := range items {
		resp, err := fromItem(item)
		if err != nil {
			return nil, err
		}
		if resp.GetId() == "" {
			return nil, fmt.Errorf("an item without a string id: %v", item)
		}
		got[resp.GetId()] = append(got[resp.GetId()], resp)
	}
	return got, nil
}

func fromItem(item map[string]types.AttributeValue) (*scoringv1.ScoreResponse, error) {
	resp := &scoringv1.ScoreResponse{}
	if v, ok := item[results.FieldID].(*types.AttributeValueMemberS); ok {
		resp.Id = v.Value
	}
	if v, ok := item[results.FieldModelVersion].(*types.AttributeValueMemberS); ok {
		resp.ModelVersion = v.Value
	}
	if v, ok := item[results.FieldScore].(*types.AttributeValueMemberN); ok {
		score, err := strconv.ParseFloat(v.Value, 64)
		if err != nil {
			return nil, fmt.Errorf("score %q: %w", v.Value, err)
		}
		resp.Score = score
	}
	if v, ok := item[results.FieldReasonCodes].(*types.AttributeValueMemberL); ok {
		for _, code := range v.Value {
			if s, ok := code.(*types.AttributeValueMemberS); ok {
				resp.ReasonCodes = append(resp.ReasonCodes, s.Value)
			}
		}
	}
	return resp, nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/awsenv"
	"example.com/kinesis-dynamodb/orchestrator/internal/config"
)

// table is the DynamoDB results table the orchestrator writes, one item per request id.
type table struct {
	client *dynamodb.Client
	name   string
}

func openStore(ctx context.Context) (resultStore, error) {
	cfg, err := config.Load(os.Environ())
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	return table{dynamodb.NewFromConfig(awsCfg), cfg.ResultsTable}, nil
}

func (t table) String() string { return "table " + t.name }

// read gets each wanted id's item, consistently, and leaves out those not stored yet.
func (t table) read(ctx context.Context, want map[string]*scoringv1.ScoreResponse) (results, error) {
	got := make(results, len(want))
	for id := range want {
		out, err := t.client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(t.name),
			Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s from %s: %w", id, t.name, err)
		}
		if out.Item == nil {
			continue
		}
		resp, err := fromItem(out.Item)
		if err != nil {
			return nil, fmt.Errorf("result %s: %w", id, err)
		}
		got[id] = []*scoringv1.ScoreResponse{resp}
	}
	return got, nil
}

func fromItem(item map[string]types.AttributeValue) (*scoringv1.ScoreResponse, error) {
	resp := &scoringv1.ScoreResponse{}
	if v, ok := item["id"].(*types.AttributeValueMemberS); ok {
		resp.Id = v.Value
	}
	if v, ok := item["model_version"].(*types.AttributeValueMemberS); ok {
		resp.ModelVersion = v.Value
	}
	if v, ok := item["score"].(*types.AttributeValueMemberN); ok {
		score, err := strconv.ParseFloat(v.Value, 64)
		if err != nil {
			return nil, fmt.Errorf("score %q: %w", v.Value, err)
		}
		resp.Score = score
	}
	if v, ok := item["reason_codes"].(*types.AttributeValueMemberL); ok {
		for _, code := range v.Value {
			if s, ok := code.(*types.AttributeValueMemberS); ok {
				resp.ReasonCodes = append(resp.ReasonCodes, s.Value)
			}
		}
	}
	return resp, nil
}

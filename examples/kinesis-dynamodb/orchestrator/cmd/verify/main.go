// Command verify checks what the pipeline delivered: it waits until every shared test
// vector's result is in the results table and equals the vector's expected response.
// scripts/smoke.sh runs it after produce; it exits non-zero on the first mismatch.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/kinesis-dynamodb/orchestrator/internal/awsenv"
	"example.com/kinesis-dynamodb/orchestrator/internal/config"
)

type vector struct {
	Name     string          `json:"name"`
	Request  json.RawMessage `json:"request"`
	Expected json.RawMessage `json:"expected"`
}

func main() {
	vectorsPath := flag.String("vectors", "../testdata/vectors.json", "shared test vectors whose results to check")
	wait := flag.Duration("wait", 90*time.Second, "how long to wait for every result")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	err := run(ctx, *vectorsPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, vectorsPath string) error {
	cfg, err := config.Load(os.Environ())
	if err != nil {
		return err
	}
	want, err := expected(vectorsPath)
	if err != nil {
		return err
	}
	awsCfg, err := awsenv.Load(ctx)
	if err != nil {
		return err
	}
	client := dynamodb.NewFromConfig(awsCfg)
	for {
		got, err := stored(ctx, client, cfg.ResultsTable, want)
		if err != nil {
			return err
		}
		if len(got) == len(want) {
			for id, w := range want {
				if !proto.Equal(got[id], w) {
					return fmt.Errorf("result %s: table holds %v, want %v", id, got[id], w)
				}
			}
			fmt.Printf("verify: all %d results in %s match the vectors\n", len(want), cfg.ResultsTable)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("only %d of %d results arrived in %s", len(got), len(want), cfg.ResultsTable)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// expected maps each vector's request id to its expected response.
func expected(path string) (map[string]*scoringv1.ScoreResponse, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	want := make(map[string]*scoringv1.ScoreResponse, len(file.Vectors))
	for _, v := range file.Vectors {
		resp := &scoringv1.ScoreResponse{}
		if err := protojson.Unmarshal(v.Expected, resp); err != nil {
			return nil, fmt.Errorf("vector %s: %w", v.Name, err)
		}
		want[resp.GetId()] = resp
	}
	if len(want) == 0 {
		return nil, errors.New(path + ": no vectors")
	}
	return want, nil
}

// stored reads the results of the wanted ids that are already in the table.
func stored(ctx context.Context, client *dynamodb.Client, table string, want map[string]*scoringv1.ScoreResponse) (map[string]*scoringv1.ScoreResponse, error) {
	got := make(map[string]*scoringv1.ScoreResponse, len(want))
	for id := range want {
		out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName:      aws.String(table),
			Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return nil, fmt.Errorf("reading %s from %s: %w", id, table, err)
		}
		if out.Item == nil {
			continue
		}
		resp, err := fromItem(out.Item)
		if err != nil {
			return nil, fmt.Errorf("result %s: %w", id, err)
		}
		got[id] = resp
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

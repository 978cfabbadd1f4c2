// Command smoke drives a running orchestrator (and, through it, the worker)
// with the shared test vectors. scripts/smoke.sh starts both services and
// runs it; it exits non-zero on the first mismatch.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/cmdline"
)

type vector struct {
	Name     string          `json:"name"`
	Request  json.RawMessage `json:"request"`
	Expected json.RawMessage `json:"expected"`
}

// prefixes are the primary worker's routes, then every worker's own.
var prefixes = []string{
	"/v1",
	"/v1/workers/scorer",
}

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "orchestrator base URL")
	vectorsPath := flag.String("vectors", "../testdata/vectors.json", "shared test vectors")
	wait := flag.Duration("wait", 60*time.Second, "how long to wait for /readyz")
	cmdline.Parse("smoke", flag.CommandLine, os.Args[1:])

	if err := run(*base, *vectorsPath, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(1)
	}
}

func run(base, vectorsPath string, wait time.Duration) error {
	vectors, err := loadVectors(vectorsPath)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if err := waitReady(client, base+"/readyz", wait); err != nil {
		return err
	}

	for _, prefix := range prefixes {
		if err := checkRoutes(client, base+prefix, vectors); err != nil {
			return fmt.Errorf("%s: %w", prefix, err)
		}
	}

	resp, err := client.Post(base+"/v1/score", "application/json", bytes.NewReader([]byte(`{"id": `)))
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("malformed JSON: got status %d, want 400", resp.StatusCode)
	}
	fmt.Printf("smoke: %d vectors matched through HTTP and batch on %d routes; malformed input rejected\n", len(vectors), len(prefixes))
	return nil
}

// checkRoutes sends every vector, one by one and as a batch, to prefix/score and prefix/score/batch.
func checkRoutes(client *http.Client, prefix string, vectors []vector) error {
	batch := &scoringv1.ScoreBatchRequest{}
	for _, v := range vectors {
		req := &scoringv1.ScoreRequest{}
		if err := protojson.Unmarshal(v.Request, req); err != nil {
			return fmt.Errorf("vector %s: request: %w", v.Name, err)
		}
		batch.Requests = append(batch.Requests, req)
		got := &scoringv1.ScoreResponse{}
		if err := post(client, prefix+"/score", v.Request, got); err != nil {
			return fmt.Errorf("vector %s: %w", v.Name, err)
		}
		if err := compare(v, got); err != nil {
			return err
		}
	}

	body, err := protojson.Marshal(batch)
	if err != nil {
		return err
	}
	gotBatch := &scoringv1.ScoreBatchResponse{}
	if err := post(client, prefix+"/score/batch", body, gotBatch); err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	if len(gotBatch.GetResponses()) != len(vectors) {
		return fmt.Errorf("batch: got %d responses, want %d", len(gotBatch.GetResponses()), len(vectors))
	}
	for i, v := range vectors {
		if err := compare(v, gotBatch.GetResponses()[i]); err != nil {
			return fmt.Errorf("batch: %w", err)
		}
	}
	return nil
}

func loadVectors(path string) ([]vector, error) {
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
	if len(file.Vectors) == 0 {
		return nil, fmt.Errorf("%s: no vectors", path)
	}
	return file.Vectors, nil
}

func waitReady(client *http.Client, url string, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("orchestrator never became ready (GET /readyz)")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func post(client *http.Client, url string, body []byte, into proto.Message) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: status %d: %s", url, resp.StatusCode, raw)
	}
	return protojson.Unmarshal(raw, into)
}

func compare(v vector, got *scoringv1.ScoreResponse) error {
	want := &scoringv1.ScoreResponse{}
	if err := protojson.Unmarshal(v.Expected, want); err != nil {
		return fmt.Errorf("vector %s: expected: %w", v.Name, err)
	}
	if !proto.Equal(got, want) {
		return fmt.Errorf("vector %s: got %v, want %v", v.Name, got, want)
	}
	return nil
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/encoding/protojson"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// loadRequests reads the request of every shared test vector.
func loadRequests(path string) ([]*scoringv1.ScoreRequest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Vectors []struct {
			Request json.RawMessage `json:"request"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var reqs []*scoringv1.ScoreRequest
	for _, v := range file.Vectors {
		req := &scoringv1.ScoreRequest{}
		if err := protojson.Unmarshal(v.Request, req); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		reqs = append(reqs, req)
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%s: no vectors", path)
	}
	return reqs, nil
}

// batchOf cycles the vectors into one batch of n requests with distinct ids.
func batchOf(reqs []*scoringv1.ScoreRequest, n int) *scoringv1.ScoreBatchRequest {
	b := &scoringv1.ScoreBatchRequest{}
	for i := range n {
		r := reqs[i%len(reqs)]
		b.Requests = append(b.Requests, &scoringv1.ScoreRequest{
			Id:                  fmt.Sprintf("bench-%d", i),
			NumericFeatures:     r.GetNumericFeatures(),
			CategoricalFeatures: r.GetCategoricalFeatures(),
		})
	}
	return b
}

// dialWorker opens one connection to the worker, as the orchestrator does (with its codec),
// so the direct figures are what the orchestrator itself could get at most.
func dialWorker(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(workerclient.Codec)))
}

// waitServing polls the worker's gRPC health until the scoring service is SERVING; it
// fails at once if one of procs, the processes that should serve it, has exited.
func waitServing(ctx context.Context, conn *grpc.ClientConn, within time.Duration, procs ...service) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	health := healthpb.NewHealthClient(conn)
	for {
		res, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: scoringv1.ScoringService_ServiceDesc.ServiceName})
		if err == nil && res.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		if exited := firstExited(procs); exited != nil {
			return fmt.Errorf("worker not SERVING: %w", exited)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("worker not SERVING after %s (last error: %v)", within, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// scoreCall sends unary Score requests, cycling through reqs.
func scoreCall(conn *grpc.ClientConn, reqs []*scoringv1.ScoreRequest) call {
	client := scoringv1.NewScoringServiceClient(conn)
	var next counter
	return func(ctx context.Context) error {
		_, err := client.Score(ctx, reqs[next.inc()%len(reqs)])
		return err
	}
}

// batchScoreCall sends batch through the generated client, which encodes it and decodes
// every answer on each call, as the orchestrator's own client does. The verdict prices the
// Rust path's batches with it; the throughput row uses batchCall, whose client work is
// lighter, so that loadgen is not what runs out of CPU first (preencoded.go).
func batchScoreCall(conn *grpc.ClientConn, batch *scoringv1.ScoreBatchRequest) call {
	client := scoringv1.NewScoringServiceClient(conn)
	want := len(batch.GetRequests())
	return func(ctx context.Context) error {
		resp, err := client.ScoreBatch(ctx, batch)
		if err != nil {
			return err
		}
		if got := len(resp.GetResponses()); got != want {
			return fmt.Errorf("batch of %d got %d responses", want, got)
		}
		return nil
	}
}

// newHTTPClient keeps a warm connection per sender. The default transport keeps only two
// idle connections per host, so at higher concurrency every other request would open a
// new TCP connection and the benchmark would measure handshakes instead of the service.
func newHTTPClient(concurrency int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

// errTooManyRequests marks an HTTP call the orchestrator answered 429: past its own in-flight
// budget, or passing on the worker's refusal.
var errTooManyRequests = errors.New("429 Too Many Requests")

// maxErrorBody is how much of a failed answer's body an error quotes: the API's error object
// in full, a proxy's HTML page in part.
const maxErrorBody = 512

// errGatewayTimeout marks an HTTP call the orchestrator answered 504: its deadline for the
// worker's answer passed.
var errGatewayTimeout = errors.New("504 Gateway Timeout")

// httpScoreCall posts the vectors' requests, as protobuf JSON, to the orchestrator's API.
func httpScoreCall(client *http.Client, base string, reqs []*scoringv1.ScoreRequest) (call, error) {
	bodies := make([][]byte, len(reqs))
	for i, r := range reqs {
		b, err := protojson.Marshal(r)
		if err != nil {
			return nil, err
		}
		bodies[i] = b
	}
	return httpPost(client, base+"/v1/score", bodies), nil
}

// httpBatchCall posts batch, as protobuf JSON, to the orchestrator's batch route.
func httpBatchCall(client *http.Client, base string, batch *scoringv1.ScoreBatchRequest) (call, error) {
	body, err := protojson.Marshal(batch)
	if err != nil {
		return nil, err
	}
	return httpPost(client, base+"/v1/score/batch", [][]byte{body}), nil
}

// httpPost posts bodies in turn to url; a 429 fails with errTooManyRequests, a 504 with
// errGatewayTimeout. A failure carries the start of the answer's body: the API's error
// message says who refused (the orchestrator at capacity, or the worker).
func httpPost(client *http.Client, url string, bodies [][]byte) call {
	var next counter
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bodies[next.inc()%len(bodies)]))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		var answer []byte
		if res.StatusCode != http.StatusOK {
			answer, _ = io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
		}
		// Read to the end so the connection goes back to the pool.
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		switch res.StatusCode {
		case http.StatusOK:
			return nil
		case http.StatusTooManyRequests:
			return fmt.Errorf("POST %s: %w: %s", url, errTooManyRequests, answer)
		case http.StatusGatewayTimeout:
			return fmt.Errorf("POST %s: %w: %s", url, errGatewayTimeout, answer)
		default:
			return fmt.Errorf("POST %s: %s: %s", url, res.Status, answer)
		}
	}
}

// readyHTTPScore waits until the HTTP service at o.http is ready, then returns a client
// keeping o.concurrency connections warm and the single-score call over the vectors' requests:
// the start of every phase that drives only the HTTP path.
func readyHTTPScore(ctx context.Context, o options) (*http.Client, call, error) {
	reqs, err := loadRequests(o.vectors)
	if err != nil {
		return nil, nil, err
	}
	client := newHTTPClient(o.concurrency)
	server := service{"orchestrator", o.orchestratorPID}
	if o.gatewayVariant == "grpc-gateway" {
		server.name = "grpc-gateway"
	}
	if err := waitReady(ctx, client, o.http+"/readyz", time.Minute, server, service{"worker", o.workerPID}); err != nil {
		return nil, nil, err
	}
	c, err := httpScoreCall(client, o.http, reqs)
	if err != nil {
		return nil, nil, err
	}
	return client, c, nil
}

// waitReady polls GET url until it answers 200; it fails at once if one of procs, the
// processes behind url, has exited.
func waitReady(ctx context.Context, client *http.Client, url string, within time.Duration, procs ...service) error {
	deadline := time.Now().Add(within)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		res, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s", res.Status)
		}
		if exited := firstExited(procs); exited != nil {
			return fmt.Errorf("%s not ready: %w (last answer: %v)", url, exited, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v", url, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

package sqsconsumer

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// watchdog turns a hang into a failure: a call or loop left unbounded would otherwise freeze
// the test until go test's own timeout, minutes later, without saying what hung.
func watchdog(t *testing.T, limit time.Duration, what string) {
	timer := time.AfterFunc(limit, func() {
		panic(fmt.Sprintf("%s still running after %v: %s", t.Name(), limit, what))
	})
	t.Cleanup(func() { timer.Stop() })
}

// silentEndpoint is an AWS endpoint that accepts every connection and request and never
// answers, but for the operations in answers (by X-Amz-Target, "AmazonSQS.GetQueueUrl"), which
// it answers with the JSON given.
func silentEndpoint(t *testing.T, answers map[string]string) *httptest.Server {
	released := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, ok := answers[r.Header.Get("X-Amz-Target")]; ok {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write([]byte(body))
			return
		}
		select {
		case <-r.Context().Done():
		case <-released:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(released) }) // First: Close waits for the handlers.
	return srv
}

// awsConfig loads the configuration main does, pointed at endpoint, with attempts bounded by attempt.
func awsConfig(t *testing.T, endpoint string, attempt time.Duration) aws.Config {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	} {
		t.Setenv(k, v)
	}
	cfg, err := awsenv.Load(context.Background(), attempt)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// hangConfig is quick to time out: a 1s long poll, 200ms to answer.
func hangConfig() Config {
	return Config{
		QueueName: "requests", Concurrency: 2, LongPoll: time.Second, AnswerTimeout: 200 * time.Millisecond,
		ShutdownTimeout: 2 * time.Second, TidyGrace: time.Second,
		Retry:   pipeline.Retry{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		Metrics: &ops.Metrics{}, Logger: slog.New(slog.DiscardHandler),
	}
}

// waitFor polls cond until it holds or within has passed, and reports whether it held.
func waitFor(within time.Duration, cond func() bool) bool {
	for end := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			return false
		}
	}
	return true
}

// stopWithin cancels Run's context and fails t unless Run returns within its shutdown bound.
func stopWithin(t *testing.T, c *Consumer, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	start := time.Now()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if took, bound := time.Since(start), c.cfg.ShutdownTimeout+c.cfg.TidyGrace; took > bound {
		t.Errorf("Run returned %v after its context ended, want at most %v (shutdown timeout + tidy grace)", took, bound)
	}
}

// A queue that accepts connections and stops answering once the consumer found it: receives
// fail within their bound, so readiness reports the queue unreachable, and shutdown keeps its
// bound.
func TestAQueueThatNeverAnswersIsReportedAndShutdownKeepsItsBound(t *testing.T) {
	watchdog(t, time.Minute, "a queue call hangs")
	srv := silentEndpoint(t, map[string]string{
		"AmazonSQS.GetQueueUrl":        `{"QueueUrl":"` + queueURL + `"}`,
		"AmazonSQS.GetQueueAttributes": `{"Attributes":{}}`,
	})
	cfg := hangConfig()
	c := New(sqs.NewFromConfig(awsConfig(t, srv.URL, QueueAttemptTimeout(cfg))), handlerFunc(succeed), cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	within := 3 * c.cfg.receiveTimeout()
	if !waitFor(within, func() bool { return c.Running() && c.Unreachable() != nil }) {
		t.Errorf("running %v, Unreachable() = %v %v into receives that never answer; want the queue reported unreachable", c.Running(), c.Unreachable(), within)
	} else if err := c.Unreachable(); !strings.Contains(err.Error(), "ReceiveMessage") {
		t.Errorf("Unreachable() = %v, want the failed ReceiveMessage", err)
	}
	stopWithin(t, c, cancel, done)
}

package sqsconsumer

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"google.golang.org/grpc/test/bufconn"

	"example.com/sqs-dynamodb/orchestrator/internal/awsenv"
	"example.com/sqs-dynamodb/orchestrator/internal/hangwatch"
	"example.com/sqs-dynamodb/orchestrator/internal/ops"
	"example.com/sqs-dynamodb/orchestrator/internal/pipeline"
)

// watchdog ends the test binary if t is still running hangwatch.Ceiling from now (or just before
// go test's -timeout, if sooner), with what (the hang suspected) and every goroutine's stack,
// as -timeout itself does but sooner and naming the hang. Arm it outside any synctest bubble:
// its timer is on the real clock, the only one that moves while a bubble spins without blocking
// or waits on a mutex. It panics rather than failing t, since a frozen test cannot return.
func watchdog(t *testing.T, what string) {
	limit := hangwatch.Ceiling
	if deadline, ok := t.Deadline(); ok {
		limit = min(limit, time.Until(deadline)*19/20)
	}
	timer := time.AfterFunc(limit, func() {
		debug.SetTraceback("all")
		panic(fmt.Sprintf("%s still running after %v: %s", t.Name(), limit, what))
	})
	t.Cleanup(func() { timer.Stop() })
}

// connBuffer is each in-memory connection's buffer, a socket's worth. bufconn blocks on a
// sync.Cond, which a synctest bubble counts as durably blocked, so its clock moves while the
// SDK and the endpoint wait on each other; a blocked read on a real socket does not.
const connBuffer = 64 << 10

// silentEndpoint is an AWS endpoint that accepts every connection and request and never
// answers, but for the operations in answers (by X-Amz-Target, "AmazonSQS.GetQueueUrl"), which
// it answers with the JSON given. It is served in memory (bufconn), so a test can run in a
// synctest bubble and hold the SDK's timeouts to the bubble's exact clock: call it inside one.
func silentEndpoint(t *testing.T, answers map[string]string) *bufconn.Listener {
	ln := bufconn.Listen(connBuffer)
	released := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if body, ok := answers[r.Header.Get("X-Amz-Target")]; ok {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write([]byte(body))
			return
		}
		select {
		case <-r.Context().Done():
		case <-released:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	// Closing every connection ends the SDK's idle ones too, which would otherwise outlive
	// the bubble's test; on a failure as well.
	t.Cleanup(func() { _ = srv.Close() })
	t.Cleanup(func() { close(released) })
	return ln
}

// awsConfig loads the configuration main does, pointed at endpoint, with attempts bounded by
// attempt: main's HTTP client and its timeouts, only dialing endpoint in memory.
func awsConfig(t *testing.T, endpoint *bufconn.Listener, attempt time.Duration) aws.Config {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_ENDPOINT_URL": "http://aws.pipe", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	} {
		t.Setenv(k, v)
	}
	cfg, err := awsenv.Load(context.Background(), attempt)
	if err != nil {
		t.Fatal(err)
	}
	client, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		t.Fatalf("awsenv.Load made a %T, want the SDK's buildable client, whose dialer a test can swap", cfg.HTTPClient)
	}
	cfg.HTTPClient = client.WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) { return endpoint.DialContext(ctx) }
	})
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

// waitFor polls cond until it holds or within has passed, and reports whether it held. Call it
// in a synctest bubble: the polls are on its clock, so within is exact, however loaded the machine.
func waitFor(within time.Duration, cond func() bool) bool {
	for end := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			return false
		}
	}
	return true
}

// stopWithin cancels Run's context and fails t unless Run returns within its shutdown bound.
// Call it in a synctest bubble, whose clock makes the bound exact.
func stopWithin(t *testing.T, c *Consumer, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	bound := c.cfg.ShutdownTimeout + c.cfg.TidyGrace
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(bound + time.Nanosecond):
		t.Fatalf("Run still running %v after its context ended, want it to return within %v (shutdown timeout + tidy grace)", bound, bound)
	}
}

// A queue that accepts connections and stops answering once the consumer found it: receives
// fail within their bound, so readiness reports the receives stalled, and shutdown keeps its
// bound. On synctest's clock, so the bounds are exact.
func TestAQueueThatNeverAnswersIsReportedAndShutdownKeepsItsBound(t *testing.T) {
	watchdog(t, "a queue call hangs")
	synctest.Test(t, func(t *testing.T) {
		endpoint := silentEndpoint(t, map[string]string{
			"AmazonSQS.GetQueueUrl":        `{"QueueUrl":"` + queueURL + `"}`,
			"AmazonSQS.GetQueueAttributes": `{"Attributes":{}}`,
		})
		cfg := hangConfig()
		c := New(sqs.NewFromConfig(awsConfig(t, endpoint, QueueAttemptTimeout(cfg))), handlerFunc(succeed), cfg)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel() // on a failure too, so Run ends with the bubble
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		within := 3 * c.cfg.receiveTimeout()
		if !waitFor(within, func() bool { return c.Running() && c.Stalled() != nil }) {
			t.Errorf("running %v, Stalled() = %v %v into receives that never answer; want the queue reported stalled", c.Running(), c.Stalled(), within)
		} else if err := c.Stalled(); !strings.Contains(err.Error(), "ReceiveMessage") {
			t.Errorf("Stalled() = %v, want the failed ReceiveMessage", err)
		}
		stopWithin(t, c, cancel, done)
	})
}

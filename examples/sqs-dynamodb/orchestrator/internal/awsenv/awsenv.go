// Package awsenv loads the AWS SDK configuration that the orchestrator, bootstrap and produce share.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/middleware"
	//lint:ignore SA1019 see Load: the successor is not available at a pinned version.
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
)

// Load reads the SDK's standard sources: AWS_REGION, the default credential chain, and
// AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_SQS and the like), which points every client at an
// emulator without code changes. Calls use the SDK's standard retryer (jittered exponential
// backoff and a retry budget that stops retry storms during an outage) with SDKAttempts.
// A positive attemptTimeout bounds every call of the clients made from the result (Bounded);
// zero leaves calls unbounded, for the command-line tools, which their user stops.
func Load(ctx context.Context, attemptTimeout time.Duration) (aws.Config, error) {
	client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		// The SDK keeps 10 idle connections per host, but every handler stores its results
		// in parallel, so most connections would be re-dialed (and re-handshaken) each time.
		tr.MaxIdleConnsPerHost = 200
		tr.MaxIdleConns = 200
	})
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(client), config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = SDKAttempts
			o.MaxBackoff = sdkBackoff
		})
	}))
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	// A client span for every AWS call, named "SQS.ReceiveMessage" and the like, in the trace of
	// the context the call is made with. otelaws is marked deprecated in favour of the SDK's own
	// tracing through smithy-go's smithyoteltracing adapter, which the Go module proxy did not
	// serve when this was pinned; otelaws still works with the pinned SDK.
	otelaws.AppendMiddlewares(&cfg.APIOptions)
	// Without a region every call fails later with a vaguer message; say what to set now.
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region configured: set AWS_REGION")
	}
	if attemptTimeout > 0 {
		cfg = Bounded(cfg, attemptTimeout)
	}
	return cfg, nil
}

// Bounded returns cfg with every call of the clients made from it bounded twice over. Each
// HTTP attempt is bounded by attempt (the SDK's client timeout), so an endpoint that accepts
// the connection and never answers fails the attempt however its caller's context was made.
// The whole call, its attempts and the retryer's backoff between them, is bounded by a
// deadline on its context (CallTimeout), so no caller waits longer whatever the SDK retries.
// A caller's earlier deadline still wins. Bounding a Config again replaces its bounds: a
// client whose calls wait for nothing can be held tighter than one that long-polls.
func Bounded(cfg aws.Config, attempt time.Duration) aws.Config {
	if b, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		cfg.HTTPClient = b.WithTimeout(attempt)
	}
	// Cloned: the caller's Config shares the slice, and must keep its own bound.
	cfg.APIOptions = append(slices.Clone(cfg.APIOptions), callDeadline(CallTimeout(attempt)))
	return cfg
}

// CallTimeout is how long a call whose attempts are bounded by attempt may take in all.
func CallTimeout(attempt time.Duration) time.Duration {
	return SDKAttempts*attempt + (SDKAttempts-1)*sdkBackoff
}

// callDeadline puts the deadline d on the context of every call, first thing.
func callDeadline(d time.Duration) func(*middleware.Stack) error {
	const id = "awsenv.CallDeadline"
	step := middleware.InitializeMiddlewareFunc(id, func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return next.HandleInitialize(ctx, in)
	})
	return func(stack *middleware.Stack) error {
		if _, bounded := stack.Initialize.Get(id); bounded {
			_, err := stack.Initialize.Swap(id, step)
			return err
		}
		return stack.Initialize.Add(step, middleware.Before)
	}
}

// sdkBackoff caps the SDK's wait before its retry: the retry is for a dropped connection, which
// a new one fixes at once, and the wait counts towards CallTimeout.
const sdkBackoff = time.Second

// Retryable reports whether err is one the SDK's standard retryer retries: throttling,
// 5xx answers, refused or reset connections. When the SDK has run out of attempts on such
// an error, trying again a little later is still worthwhile; any other error would only
// fail again.
func Retryable(err error) bool {
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// Throttled reports whether err is AWS throttling a call (a shard's or table's throughput
// exceeded, a request rate over its limit): routine under load, and over once the caller backs
// off, so the loops that meet it log it at DEBUG and count it (workerclient.FailureLog's rule).
func Throttled(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

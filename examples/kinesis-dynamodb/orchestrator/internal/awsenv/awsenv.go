// Package awsenv loads the AWS SDK configuration that the orchestrator, bootstrap and produce share.
package awsenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	//lint:ignore SA1019 see Load: the successor is not available at a pinned version.
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
)

// Load reads the SDK's standard sources: AWS_REGION, the default credential chain, and
// AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_SQS and the like), which points every client at an
// emulator without code changes. Calls use the SDK's standard retryer (jittered exponential
// backoff and a retry budget that stops retry storms during an outage) with SDKAttempts.
// A positive attemptTimeout bounds each HTTP attempt (the SDK's own client timeout), so an
// endpoint that never answers fails the call however its caller's context was made; zero
// leaves attempts unbounded, for the command-line tools, which their user stops.
func Load(ctx context.Context, attemptTimeout time.Duration) (aws.Config, error) {
	client := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		// The SDK keeps 10 idle connections per host, but every handler stores its results
		// in parallel, so most connections would be re-dialed (and re-handshaken) each time.
		tr.MaxIdleConnsPerHost = 200
		tr.MaxIdleConns = 200
	})
	if attemptTimeout > 0 {
		client = client.WithTimeout(attemptTimeout)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(client), config.WithRetryMaxAttempts(SDKAttempts))
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
	return cfg, nil
}

// SDKAttempts bounds each AWS call's attempts, the first included: one quick retry for a
// dropped connection. The consumers own retrying on their own schedule (pipeline.Retry), and
// attempts at the two layers multiply, so this one is set here rather than left to
// AWS_MAX_ATTEMPTS.
const SDKAttempts = 2

// Retryable reports whether err is one the SDK's standard retryer retries: throttling,
// 5xx answers, refused or reset connections. When the SDK has run out of attempts on such
// an error, trying again a little later is still worthwhile; any other error would only
// fail again.
func Retryable(err error) bool {
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

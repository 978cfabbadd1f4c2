package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// recorder is a Retry whose sleeps and random draws are recorded instead of taken.
func recorder(attempts int) (*Retry, *[]int64) {
	var ceilings []int64
	r := &Retry{
		Attempts: attempts,
		Base:     100 * time.Millisecond,
		Max:      time.Second,
		Sleep:    func(context.Context, time.Duration) error { return nil },
		Rand: func(n int64) int64 {
			ceilings = append(ceilings, n-1)
			return n - 1 // the top of the range, the worst case
		},
	}
	return r, &ceilings
}

func TestDelayIsFullJitterUnderACappedExponential(t *testing.T) {
	r, ceilings := recorder(0)
	for attempt := 1; attempt <= 7; attempt++ {
		if d := r.Delay(attempt); d > r.Max {
			t.Errorf("Delay(%d) = %v, above Max %v", attempt, d, r.Max)
		}
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for i, c := range *ceilings {
		if time.Duration(c) != want[i]*time.Millisecond {
			t.Errorf("attempt %d drew from [0, %v], want [0, %v]", i+1, time.Duration(c), want[i]*time.Millisecond)
		}
	}
}

func TestDelayNeverOverflows(t *testing.T) {
	r := Retry{Base: time.Second, Max: time.Hour, Rand: func(n int64) int64 { return n - 1 }}
	if d := r.Delay(1000); d != time.Hour {
		t.Errorf("Delay(1000) = %v, want the 1h cap", d)
	}
}

func TestDoRetriesTransientFailuresUpToAttempts(t *testing.T) {
	r, ceilings := recorder(4)
	calls, retried := 0, 0
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		return status.Error(codes.Unavailable, "worker restarting")
	}, func(int, error) { retried++ })
	if status.Code(err) != codes.Unavailable || calls != 4 || retried != 3 || len(*ceilings) != 3 {
		t.Errorf("got %v after %d calls, %d retries, %d sleeps; want UNAVAILABLE after 4, 3, 3", err, calls, retried, len(*ceilings))
	}
}

func TestDoStopsAtSuccess(t *testing.T) {
	r, _ := recorder(5)
	calls := 0
	err := r.Do(context.Background(), func(context.Context) error {
		if calls++; calls < 3 {
			return status.Error(codes.ResourceExhausted, "shedding load")
		}
		return nil
	}, nil)
	if err != nil || calls != 3 {
		t.Errorf("got %v after %d calls, want success after 3", err, calls)
	}
}

func TestDoDoesNotRetryPermanentFailures(t *testing.T) {
	r, _ := recorder(5)
	calls := 0
	err := r.Do(context.Background(), func(context.Context) error {
		calls++
		return status.Error(codes.InvalidArgument, "bad request")
	}, nil)
	if status.Code(err) != codes.InvalidArgument || calls != 1 {
		t.Errorf("got %v after %d calls, want INVALID_ARGUMENT after 1", err, calls)
	}
}

func TestDoStopsWhenContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := Retry{Attempts: 100, Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	calls := 0
	err := r.Do(ctx, func(context.Context) error {
		calls++
		return status.Error(codes.Unavailable, "down")
	}, nil)
	if err == nil || calls != 1 {
		t.Errorf("got %v after %d calls, want the failure after 1", err, calls)
	}
}

func TestTransient(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{status.Error(codes.Unavailable, ""), true},
		{status.Error(codes.ResourceExhausted, ""), true},
		{status.Error(codes.ResourceExhausted, tooBig), false},
		{status.Error(codes.DeadlineExceeded, ""), true},
		{status.Error(codes.Canceled, "Timeout expired"), true}, // tonic's answer when a deadline runs out
		{fmt.Errorf("scoring: %w", status.Error(codes.Unavailable, "")), true},
		{context.DeadlineExceeded, true},
		{&types.ProvisionedThroughputExceededException{}, true},
		{errors.Join(errors.New("storing a"), &types.ProvisionedThroughputExceededException{}), true},
		{status.Error(codes.InvalidArgument, ""), false},
		{status.Error(codes.Internal, ""), false},
		{&types.ResourceNotFoundException{}, false},
		{context.Canceled, false},
		{errors.New("something else"), false},
	}
	for _, tt := range tests {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestShedIsResourceExhaustedOnly(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{status.Error(codes.ResourceExhausted, "at its in-flight limit"), true},
		// Handle wraps the worker's error; the code must still be found.
		{fmt.Errorf("scoring: %w", status.Error(codes.ResourceExhausted, "")), true},
		{fmt.Errorf("scoring: %w", status.Error(codes.ResourceExhausted, tooBig)), false},
		{status.Error(codes.Unavailable, ""), false},
		{status.Error(codes.InvalidArgument, ""), false},
		{context.DeadlineExceeded, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := Shed(tt.err); got != tt.want {
			t.Errorf("Shed(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// tooBig is grpc-go's word for a message over its size limit, which it sends as
// RESOURCE_EXHAUSTED like a worker shedding load.
const tooBig = "grpc: received message larger than max (2048 vs. 1024)"

func TestRefusedIsTheWorkerTurningTheRequestsDown(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{status.Error(codes.InvalidArgument, ""), true},
		{fmt.Errorf("scoring: %w", status.Error(codes.FailedPrecondition, "model not loaded for this region")), true},
		{status.Error(codes.OutOfRange, "Error, decoded message length too large"), true},
		{status.Error(codes.Unimplemented, ""), true},
		{fmt.Errorf("scoring: %w", status.Error(codes.ResourceExhausted, tooBig)), true},
		{status.Error(codes.ResourceExhausted, "scoring worker is at its in-flight limit"), false},
		{status.Error(codes.Unavailable, ""), false},
		{status.Error(codes.PermissionDenied, ""), false},
		{status.Error(codes.Internal, ""), false},
		// The sink's failures are never the worker's refusal, whatever code they carry.
		{fmt.Errorf("%w: %w", ErrStore, status.Error(codes.InvalidArgument, "")), false},
		{errors.New("something else"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := Refused(tt.err); got != tt.want {
			t.Errorf("Refused(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

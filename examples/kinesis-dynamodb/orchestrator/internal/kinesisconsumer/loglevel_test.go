package kinesisconsumer

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// levels is a log handler that counts the lines of each message by level.
type levels struct {
	mu    sync.Mutex
	lines map[string]map[slog.Level]int
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }

func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lines == nil {
		l.lines = map[string]map[slog.Level]int{}
	}
	if l.lines[r.Message] == nil {
		l.lines[r.Message] = map[slog.Level]int{}
	}
	l.lines[r.Message][r.Level]++
	return nil
}

func (l *levels) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *levels) WithGroup(string) slog.Handler      { return l }

func (l *levels) count(msg string, level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lines[msg][level]
}

// failingReads is a stream whose every GetRecords fails with err.
type failingReads struct {
	*fakeKinesis
	err   error
	reads atomic.Int64
}

func (f *failingReads) GetRecords(context.Context, *kinesis.GetRecordsInput, ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error) {
	f.reads.Add(1)
	return nil, f.err
}

// A read the stream throttles is routine (more consumers than the shards' five reads a second
// allow, or a burst): each of hundreds is counted and logged at DEBUG, never WARN. A read that
// fails otherwise, as often, warns at most once a second across the shards, the rest at DEBUG
// (workerclient.FailureLog's rule).
func TestFailedReadsLogByTheFailureRule(t *testing.T) {
	for _, tt := range []struct {
		name      string
		err       error
		throttled bool
	}{
		{"throttled", &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded for shard shardId-000000000000")}, true},
		{"unexpected", &smithy.GenericAPIError{Code: "InternalFailure", Message: "internal error"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k := &failingReads{fakeKinesis: &fakeKinesis{}, err: tt.err}
				k.put("s0", "")
				k.put("s1", "")
				logs := &levels{}
				c, stop := runAs(t, k, &memoryLeases{}, &recorder{}, Config{MaxAttempts: 1 << 30, Logger: slog.New(logs)})
				const window = time.Minute
				settle(window)
				if err := stop(); err != nil {
					t.Fatal(err)
				}
				reads := int(k.reads.Load())
				warns, debugs := logs.count("reading records", slog.LevelWarn), logs.count("reading records", slog.LevelDebug)
				throttled := int(c.cfg.Metrics.Throttled.Load())
				if reads < 100 {
					t.Fatalf("%d reads in %v, want the shards polled on", reads, window)
				}
				if warns+debugs != reads {
					t.Errorf("%d failed reads logged %d WARN and %d DEBUG lines, want one line each", reads, warns, debugs)
				}
				if tt.throttled {
					if warns != 0 || throttled != reads {
						t.Errorf("%d throttled reads: %d WARN lines, %d counted throttled; want 0 WARN, all counted", reads, warns, throttled)
					}
					return
				}
				if most := 1 + int(window/time.Second); warns == 0 || warns > most || throttled != 0 {
					t.Errorf("%d failed reads in %v: %d WARN lines, %d counted throttled; want 1 to %d WARN, none throttled", reads, window, warns, throttled, most)
				}
			})
		})
	}
}

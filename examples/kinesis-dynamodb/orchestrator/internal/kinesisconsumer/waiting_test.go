package kinesisconsumer

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// Readiness says why a consumer has not joined the stream: a stream not made yet (make run
// before make bootstrap) reads as that, not as a bare "not running" beside a log of retries.
func TestWaitingSaysTheStreamDoesNotExistUntilItDoes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k, cps, h := &fakeKinesis{}, &memoryLeases{}, &recorder{}
		k.mu.Lock()
		k.describeErr = &types.ResourceNotFoundException{Message: aws.String("Stream requests under account 123456789012 not found.")}
		k.mu.Unlock()
		c, stop := run(t, k, cps, h)
		settle(3 * time.Second)
		if c.Running() {
			t.Fatal("running without a stream")
		}
		if err := c.Waiting(); err == nil || !strings.Contains(err.Error(), `does not exist (locally, make bootstrap creates it)`) {
			t.Fatalf("Waiting() = %v, want the missing stream named", err)
		}

		k.mu.Lock()
		k.describeErr = nil
		k.mu.Unlock()
		settle(5 * time.Second)
		if !c.Running() || c.Waiting() != nil {
			t.Fatalf("Running() = %v, Waiting() = %v once the stream exists, want true and nil", c.Running(), c.Waiting())
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	})
}

package httpapi_test

import (
	"net/http"
	"testing"
	"time"
)

// A grpc-go worker refuses a request over its receive limit with RESOURCE_EXHAUSTED, the
// code it sheds load with; retrying cannot help, so the answer is 413, not 429 with
// Retry-After.
func TestWorkerSizeLimitIs413NotARetry(t *testing.T) {
	vectors := loadVectors(t)
	e := newEnvLimited(t, vectors, 2*time.Second, 32)
	rec := post(e.api, "/v1/score", vectors[0].rawReq)
	wantError(t, rec, http.StatusRequestEntityTooLarge, "payload_too_large")
	if ra := rec.Header().Get("Retry-After"); ra != "" {
		t.Errorf("Retry-After %q on a request that can never pass", ra)
	}
}

package httpapi

import (
	"testing"
	"time"
)

// A body's time follows its declared length, capped at the route's limit; a body of unknown
// length (chunked) gets the time of one at the limit, as it may be that long.
func TestBodyReadTimeFollowsTheDeclaredLength(t *testing.T) {
	const limit = 8 << 20 // 8 s at MinBodyBytesPerSecond.
	for _, tt := range []struct {
		declared int64
		want     time.Duration
	}{
		{0, BodyReadAllowance},
		{MinBodyBytesPerSecond / 2, BodyReadAllowance + 500*time.Millisecond},
		{4 << 20, BodyReadAllowance + 4*time.Second},
		{limit, BodyReadAllowance + 8*time.Second},
		{limit * 10, BodyReadAllowance + 8*time.Second},
		{-1, BodyReadAllowance + 8*time.Second},
	} {
		if got := bodyReadTime(tt.declared, limit); got != tt.want {
			t.Errorf("bodyReadTime(%d, %d) = %v, want %v", tt.declared, limit, got, tt.want)
		}
	}
}

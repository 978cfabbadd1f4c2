package workerclient

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestDeadlineCause(t *testing.T) {
	cancelled := status.Error(codes.Canceled, "Timeout expired")
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Millisecond))
	defer cancel()
	live, cancelLive := context.WithTimeout(context.Background(), time.Hour)
	defer cancelLive()
	gone, leave := context.WithTimeout(context.Background(), time.Hour)
	leave()

	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want codes.Code
	}{
		{"CANCELLED after our deadline", expired, cancelled, codes.DeadlineExceeded},
		{"CANCELLED while the deadline is ahead", live, cancelled, codes.Canceled},
		{"CANCELLED because the caller left", gone, cancelled, codes.Canceled},
		{"other codes pass through", expired, status.Error(codes.Unavailable, ""), codes.Unavailable},
		{"success", expired, nil, codes.OK},
	}
	for _, tt := range tests {
		if got := status.Code(deadlineCause(tt.ctx, tt.err)); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

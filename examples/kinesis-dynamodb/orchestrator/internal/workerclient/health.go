package workerclient

import (
	"context"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Health is what the client last learned from the worker's grpc.health.v1 service.
type Health int32

const (
	// HealthUnknown means no answer yet: the worker may well be fine, so calls are still attempted.
	HealthUnknown Health = iota
	// HealthServing means the worker reported SERVING.
	HealthServing
	// HealthNotServing means the worker reported anything else, or could not be reached.
	HealthNotServing
)

func (h Health) String() string {
	switch h {
	case HealthServing:
		return "serving"
	case HealthNotServing:
		return "not_serving"
	default:
		return "unknown"
	}
}

// Health returns the worker's last known health. It never blocks or dials,
// so request handlers can consult it to fail fast.
func (c *Client) Health() Health {
	return Health(c.status.Load())
}

func (c *Client) setHealth(h Health, cause error) {
	if old := Health(c.status.Swap(int32(h))); old != h {
		if h == HealthServing {
			c.logger.Info("worker health changed", "from", old.String(), "to", h.String())
		} else {
			c.logger.Warn("worker health changed", "from", old.String(), "to", h.String(), "cause", cause)
		}
	}
}

// WatchHealth follows the worker's health until ctx is done. While the worker serves, a
// Watch stream reports its fall the moment it happens, where polling Check would lag;
// otherwise it asks again every HealthRetryDelay. Run it in its own goroutine.
func (c *Client) WatchHealth(ctx context.Context) {
	for {
		err := c.watch(ctx)
		if ctx.Err() != nil {
			return
		}
		// The worker is not serving, restarted, went away or never came up:
		// requests would fail now in every case.
		c.setHealth(HealthNotServing, err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.healthRetryDelay):
		}
	}
}

// watch follows one Watch stream while the worker reports SERVING; it always returns a
// non-nil error saying why it stopped.
func (c *Client) watch(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // Closes the stream whichever way this returns.
	// Fail-fast (no WaitForReady) so an unreachable worker turns into NOT_SERVING at once
	// instead of leaving the state unknown while the call waits for a connection.
	stream, err := c.health.Watch(ctx, &healthpb.HealthCheckRequest{Service: c.healthService})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			// A worker mostly says NOT_SERVING while draining for shutdown, and an open
			// stream would hold its drain open until its grace period ran out; so let go,
			// and look again after the retry delay.
			return errNotServing(resp.GetStatus())
		}
		c.setHealth(HealthServing, nil)
	}
}

type errNotServing healthpb.HealthCheckResponse_ServingStatus

func (e errNotServing) Error() string {
	return "worker reports " + healthpb.HealthCheckResponse_ServingStatus(e).String()
}

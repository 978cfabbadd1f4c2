package workerclient

import (
	"context"
	"errors"

	"google.golang.org/grpc/connectivity"
)

// Health is what the client last learned from the grpc.health.v1 service of the worker's
// replicas.
type Health int32

const (
	// HealthUnknown means no answer yet: the worker may well be fine, so calls are still attempted.
	HealthUnknown Health = iota
	// HealthServing means at least one replica reports SERVING.
	HealthServing
	// HealthNotServing means no replica reports SERVING or can be reached.
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

// WatchHealth connects to the worker's replicas and follows whether any of them can
// serve, until ctx is done. Run it in its own goroutine.
//
// The health checking is gRPC's own (see serviceConfig): a replica's subchannel is READY
// only while a Watch stream on it says SERVING, and under round_robin the connection as a
// whole is READY while at least one subchannel is, TRANSIENT_FAILURE once none is and
// every one has failed. So READY and TRANSIENT_FAILURE are the two answers; CONNECTING and
// IDLE are passing states (a replica reconnecting after the worker's max connection age,
// the first attempts at start) that keep the last answer until one of the two comes.
func (c *Client) WatchHealth(ctx context.Context) {
	c.conn.Connect()
	for {
		state := c.conn.GetState()
		switch state {
		case connectivity.Ready:
			c.setHealth(HealthServing, nil)
		case connectivity.TransientFailure:
			c.setHealth(HealthNotServing, errNoReplica)
		case connectivity.Shutdown:
			return
		}
		if !c.conn.WaitForStateChange(ctx, state) {
			return
		}
	}
}

var errNoReplica = errors.New("no replica is reachable and SERVING")

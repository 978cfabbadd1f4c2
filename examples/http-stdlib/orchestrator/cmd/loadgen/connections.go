package main

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// workerConnections is what the worker's cap on gRPC connections did to the run: how many
// it closed on arrival (connectionsRefused) between loadgen's first call and its last. A
// call on a refused connection fails with a reset, which the figures count as an error or
// a shorter tail, so a run that hit the cap measured the cap, and its report must say so.
type workerConnections struct {
	Refused int `json:"refused"`
	// Note says why Refused was not read, if it was not.
	Note string `json:"note,omitempty"`
}

// refusedSoFar reads the worker's count of refused connections, from its /metrics at url.
func refusedSoFar(ctx context.Context, url string) (float64, error) {
	if url == "" {
		return 0, errors.New("the worker's metrics address was not given (-worker-metrics)")
	}
	return scrapeCounter(ctx, url, connectionsRefused)
}

// connectionsBetween is the refusals between two readings of refusedSoFar, or why they are unknown.
func connectionsBetween(before, after float64, err error) *workerConnections {
	if err != nil {
		return &workerConnections{Note: "not read: " + err.Error()}
	}
	if after < before {
		return &workerConnections{Note: "not read: the worker restarted during the run (its counter went back)"}
	}
	return &workerConnections{Refused: int(after - before)}
}

// checks is the row's target: the run never met the cap.
func (c *workerConnections) checks(add func(name string, value float64, target string, met bool)) {
	if c.Note != "" {
		return
	}
	add("worker gRPC connections refused at its cap", float64(c.Refused), "= 0", c.Refused == 0)
}

func (c *workerConnections) write(w io.Writer) {
	fmt.Fprintf(w, "\nworker gRPC connections refused at its cap (%s): ", connectionsRefused)
	switch {
	case c.Note != "":
		fmt.Fprintln(w, c.Note)
	case c.Refused > 0:
		fmt.Fprintf(w, "%d: the worker held its most connections, and calls on those it refused failed with a reset; the figures above measured that cap, not the service\n", c.Refused)
	default:
		fmt.Fprintln(w, "none")
	}
}

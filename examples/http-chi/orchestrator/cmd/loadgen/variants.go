package main

import "fmt"

// readVariants reads back the variant runs bench.sh made against fresh services before the
// full run (tracing, coalescing, grpc-gateway; o's comma-separated file lists, empty when
// not run) into r, and returns the connections the worker refused across all of them: each
// run's file carries its own count under connectionsKey (runRowToFile), and the full run's
// one target on refused connections must cover them as it covers its own calls.
func readVariants(r *results, o options) (*workerConnections, error) {
	var err error
	if o.tracing != "" {
		if r.Tracing, err = readTracingRows(o.tracing); err != nil {
			return nil, err
		}
	} else if o.http == "" {
		r.TracingNote = "measured for the HTTP preset only (no queue in the loop); this repo's ingress is " + o.preset
	}
	if o.coalescing != "" {
		if r.Coalescing, err = readCoalesceRows(o.coalescing); err != nil {
			return nil, err
		}
	}
	if o.gateway != "" {
		if r.Gateway, err = readGatewayRows(o.gateway); err != nil {
			return nil, err
		}
	}
	return variantConnections(o.tracing, o.coalescing, o.gateway)
}

// variantConnections sums the connections refused that every file of lists recorded.
func variantConnections(lists ...string) (*workerConnections, error) {
	sum := &workerConnections{}
	for _, list := range lists {
		if list == "" {
			continue
		}
		rows, err := readRows[struct {
			Connections *workerConnections `json:"worker_grpc_connections"`
		}](list)
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			sum = sum.plus(row.Connections)
		}
	}
	return sum, nil
}

// plus is c and o together: the sum of their refusals, or, if either is unknown, why. A nil
// o is a variant run written without the count (by a loadgen older than runRow).
func (c *workerConnections) plus(o *workerConnections) *workerConnections {
	switch {
	case c.Note != "":
		return c
	case o == nil:
		return &workerConnections{Note: fmt.Sprintf("not read: a variant run's file has no %s", connectionsKey)}
	case o.Note != "":
		return &workerConnections{Note: o.Note + " (in a variant run)"}
	}
	return &workerConnections{Refused: c.Refused + o.Refused}
}

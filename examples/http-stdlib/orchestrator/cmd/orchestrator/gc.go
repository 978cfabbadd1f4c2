package main

import "runtime/debug"

// defaultGCPercent is the orchestrator's GOGC unless the environment sets one.
//
// Why not Go's 100: the orchestrator keeps little alive (about 2 MB of heap serving 2,000
// req/s) and allocates about 19 KB per request, so at GOGC=100 its heap goal sits at the
// runtime's 4 MB floor and a collection starts every 90 ms or so. With two Ps, each
// collection's mark phase held request handling for about 4 ms (the Ps run mark workers and
// the network poller waits; golang/go#16528, #18534), and the requests queued behind it made
// the HTTP path's tail: of 10,000 requests sent open loop at 2,000 req/s (cmd/loadgen's
// pacing) through the orchestrator, 72-89 runs of requests answered over 2 ms late against
// 29-37 at GOGC=400 and 18-26 at 1000 (alternated on 2 cores; the rest are the machine's,
// such as other tenants). The queue presets keep as little alive. 400 raises the
// floor to 16 MB and the goal to five times the live heap, which stays well inside the
// deployment's memory limit: the bench's peak RSS under load is the figure to watch.
const defaultGCPercent = 400

// tuneGC applies defaultGCPercent unless GOGC is set (then the runtime has applied that
// already), and returns the GOGC in effect (-1: collection off).
func tuneGC(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		// Setting is the runtime's only way to read GOGC: set, then put back what it returned.
		percent := debug.SetGCPercent(100)
		debug.SetGCPercent(percent)
		return percent
	}
	debug.SetGCPercent(defaultGCPercent)
	return defaultGCPercent
}

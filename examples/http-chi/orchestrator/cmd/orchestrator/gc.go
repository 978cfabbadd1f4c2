package main

import (
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

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

// memoryLimitRatio is the share of the container's memory limit (its cgroup's) that
// limitMemory gives the Go runtime as GOMEMLIMIT.
//
// Why a memory limit: at GOGC=400 the heap goal is five times the live heap, and a burst of
// large batches could take that goal past the container's limit, where the kernel OOM-kills
// the pod; with GOMEMLIMIT the collector runs sooner instead as the heap nears it. Why 0.9:
// GOMEMLIMIT counts only the memory the Go runtime manages, so the rest of the limit is left
// for what it does not see (the binary's mapped pages, socket buffers); the Go GC guide
// suggests 5-10% of such headroom, and 0.9 is automemlimit's own default.
const memoryLimitRatio = 0.9

// limitMemory sets GOMEMLIMIT to memoryLimitRatio of the cgroup's memory limit, read by
// automemlimit (cgroup v1 and v2), unless the environment sets GOMEMLIMIT, or AUTOMEMLIMIT (a
// ratio, or off). Without a limit (a laptop, `make run`) or without cgroups (macOS) nothing
// changes. It returns the limit in effect, in bytes (math.MaxInt64: none).
func limitMemory(logger *slog.Logger) int64 {
	limit, err := memlimit.Set(memlimit.WithRatio(memoryLimitRatio), memlimit.WithLogger(logger))
	if err != nil && !errors.Is(err, memlimit.ErrCgroupsNotSupported) && !errors.Is(err, memlimit.ErrNoCgroup) {
		logger.Warn("GOMEMLIMIT not set from the cgroup's memory limit", "error", err)
	}
	return limit
}

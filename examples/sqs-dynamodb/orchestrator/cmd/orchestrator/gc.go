package main

import (
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// defaultGCPercent is the orchestrator's GOGC unless the environment sets one.
//
// Why not Go's 100: the orchestrator keeps little alive (about 3 MB of heap) and allocates
// about 16 KB per request at 2,000 req/s (9 KB at full load, where calls to the worker are
// coalesced), so at GOGC=100 its heap goal sits at the runtime's 4 MB floor and a collection
// starts many times a second. Each collection's mark phase holds up the requests that arrive
// during it (the Ps run mark workers and assists, and the network poller waits;
// golang/go#16528, #18534), and those requests make the HTTP path's tail. Measured with
// `make bench`'s paced phase (2,000 req/s open loop through the orchestrator, 4 s runs, the
// services on one core and loadgen on the other as BENCH_PIN=1 pins them), GOGC values
// alternated run by run in three sets of 5 runs each; a median per set, and the runs' peak
// RSS:
//
//	GOGC  p99 (ms)             peak RSS
//	100   2.22                 29 MB
//	400   1.82, 2.50, 1.93     40 MB
//	1000  1.25, 1.52, 1.45     63 MB
//	2000  1.96                 104 MB
//	off   0.81                 (grows without bound)
//
// So collections are most of the tail, and past 1000 the machine's own noise is. 1000 puts
// the heap goal's floor at 40 MB (4 MB x GOGC/100) and the goal at eleven times the live
// heap: a whole `make bench`, whose batch phases keep more alive, peaked at 112 MiB, and the
// deployment's memory request is derived from that peak. Should a burst of large batches
// take the heap near the container's limit, limitMemory's GOMEMLIMIT makes the collector
// run sooner.
const defaultGCPercent = 1000

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
// Why a memory limit: at GOGC=1000 the heap goal is eleven times the live heap, and a burst of
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

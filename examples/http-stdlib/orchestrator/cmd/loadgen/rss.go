package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// counter hands out request indexes to concurrent senders.
type counter struct{ n atomic.Uint64 }

func (c *counter) inc() int { return int(c.n.Add(1) - 1) }

// rssKB is a process's resident set size in KiB: VmRSS from /proc on Linux, `ps -o rss=`
// elsewhere (macOS, the BSDs), which reports the same figure.
func rssKB(pid int) (int64, error) {
	if f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
				return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			}
		}
		return 0, fmt.Errorf("pid %d: no VmRSS in /proc status", pid)
	}
	out, err := exec.Command("ps", "-o", "rss=", "-p", strconv.Itoa(pid)).Output()
	if err != nil {
		return 0, fmt.Errorf("pid %d: ps: %w", pid, err)
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

// peakSampler records the highest RSS of each process while the load runs.
type peakSampler struct {
	mu   sync.Mutex
	peak map[int]int64
	stop context.CancelFunc
	done sync.WaitGroup
}

func samplePeaks(pids []int, every time.Duration) *peakSampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &peakSampler{peak: map[int]int64{}, stop: cancel}
	s.done.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			for _, pid := range pids {
				if kb, err := rssKB(pid); err == nil {
					s.mu.Lock()
					s.peak[pid] = max(s.peak[pid], kb)
					s.mu.Unlock()
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return s
}

// finish stops sampling and returns each process's peak.
func (s *peakSampler) finish() map[int]int64 {
	s.stop()
	s.done.Wait()
	return s.peak
}

// cpuTime is the CPU time (user + system) a process has used so far, from /proc/<pid>/stat
// (pid 0: this process). It is how the report splits each request's cost between the
// processes; off Linux it reports ok=false and the split is left out.
func cpuTime(pid int) (time.Duration, bool) {
	path := "/proc/self/stat"
	if pid > 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	// The command name (field 2) may contain spaces; the fields after its ')' are fixed.
	_, rest, ok := strings.Cut(string(data), ") ")
	fields := strings.Fields(rest)
	if !ok || len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	// USER_HZ is 100 on every Linux platform Go supports.
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

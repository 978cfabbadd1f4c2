package main

import (
	"fmt"
	"os"
	"strings"
)

// service is a process loadgen waits on to serve: its name for messages and its pid
// (0: not given, never checked).
type service struct {
	name string
	pid  int
}

// firstExited returns an error naming the first of procs that is no longer running, so a
// wait for readiness fails at once, naming the process that died, instead of timing out
// on a port nobody serves any more; nil while they all run.
func firstExited(procs []service) error {
	for _, p := range procs {
		if p.pid > 0 && !running(p.pid) {
			return fmt.Errorf("%s (pid %d) has exited", p.name, p.pid)
		}
	}
	return nil
}

// running reports whether pid is a live process, from /proc/<pid>/stat on Linux: gone, or
// a zombie its parent (the bench script) has not reaped yet, is not running. Without /proc
// (macOS, the BSDs) it cannot tell and says true, and the waits fall back on their timeouts.
func running(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		_, noProc := os.Stat("/proc/self/stat")
		return noProc != nil
	}
	// The state is the first field after the command name, which may hold spaces.
	_, rest, _ := strings.Cut(string(data), ") ")
	state, _, _ := strings.Cut(rest, " ")
	return state != "Z" && state != "X"
}

package main

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

func TestFirstExitedNamesAProcessThatDiedAndIgnoresUnsetPids(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("liveness is read from /proc, which only Linux has")
	}
	if err := firstExited([]service{{"loadgen", os.Getpid()}, {"unset", 0}}); err != nil {
		t.Fatalf("a running process and an unset pid: %v", err)
	}

	// Exited and not yet reaped: a zombie, as a service the bench script has not waited for.
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = zombie.Wait() }()
	for running(zombie.Process.Pid) {
		runtime.Gosched()
	}
	err := firstExited([]service{{"loadgen", os.Getpid()}, {"worker", zombie.Process.Pid}})
	if err == nil || !strings.HasPrefix(err.Error(), "worker (pid ") || !strings.HasSuffix(err.Error(), ") has exited") {
		t.Fatalf("got %v, want the worker named as exited", err)
	}

	// Exited and reaped: gone from /proc.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	if running(gone.ProcessState.Pid()) {
		t.Fatalf("pid %d: reaped, still reported running", gone.ProcessState.Pid())
	}
}

package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestOverloadProfileNamesTheLimit(t *testing.T) {
	f := overloadFigures{Call: "gRPC ScoreBatch x100", Cores: map[string]float64{"loadgen": 0.7, "worker": 1.2}, MachineCores: 1.95, NumCPU: 2}
	for _, c := range []struct{ pinning, want, not string }{
		{"not pinned to cores (BENCH_PIN=1 pins them)", "the machine ran out of cores", "pinned: each process"},
		{"pinned: worker and orchestrator core 0 (shared: 2 cores), loadgen core 1", "pinned: each process above had only its own cores", "ran out of cores"},
	} {
		f.Pinning = c.pinning
		var b strings.Builder
		f.write(&b)
		if !strings.Contains(b.String(), c.want) || strings.Contains(b.String(), c.not) {
			t.Errorf("%s: profile\n%s\nwant %q, not %q", c.pinning, b.String(), c.want, c.not)
		}
		if !strings.Contains(b.String(), "the whole machine 1.95 of 2 cores") {
			t.Errorf("%s: profile\n%s\nwant the machine's cores", c.pinning, b.String())
		}
	}
}

func TestOverloadReportSaysWhoRefused(t *testing.T) {
	for _, c := range []struct {
		name      string
		f         overloadFigures
		want, not []string
	}{
		{"worker row", overloadFigures{Answer: "RESOURCE_EXHAUSTED", Shed: 40},
			[]string{"the worker shed no ScoreBatch calls"}, []string{"orchestrator's own", "the peak runs were refused"}},
		{"worker row, its peak taken past the admission limit", overloadFigures{Answer: "RESOURCE_EXHAUSTED", Shed: 40, PeakShed: 12},
			[]string{"the peak runs were refused 12 calls", "so goodput can exceed 1"}, nil},
		{"worker row, refusals timed by the worker", overloadFigures{Answer: "RESOURCE_EXHAUSTED", Shed: 40, WorkerShedCalls: 40, WorkerShedP99: 0.2, ShedP99: 3},
			// A low-rate probe on a connection of its own saw the bulk calls' refusal latency: the
			// remainder is not this connection's flow control, so the report must not blame it.
			[]string{"the rest of what loadgen saw, 2.800 ms at p99, is queueing in loadgen itself"}, []string{"flow control", "orchestrator"}},
		{"worker row with its shed probe", overloadFigures{Answer: "RESOURCE_EXHAUSTED", Shed: 40, UnloadedP99: 1.5,
			Probe: &probeFigures{Rate: probeRate, Shed: 30, ShedP50: 0.3, ShedP99: 1.9, Accepted: 10, Note: "first error: boom"}},
			[]string{"shed probe (a client in a process of its own, 200 calls/s beside the load; the target's figure)",
				"30 refused, p50 0.300 ms, p99 1.900 ms over all runs (the same call unloaded: p99 1.500 ms); 10 accepted (counted in the goodput)", "    first error: boom"}, nil},
		{"HTTP row, all the orchestrator's", overloadFigures{Answer: "429", Shed: 40},
			[]string{"at least 40 of the 40 429s were the orchestrator's own", "the worker refused 0 calls"}, []string{"the worker shed no"}},
		{"HTTP row, some the worker's", overloadFigures{Answer: "429", Shed: 40, WorkerShedCalls: 15, WorkerShedP99: 0.2, ShedP99: 3},
			[]string{"at least 25 of the 40 429s were the orchestrator's own", "the worker refused 15 calls"}, []string{"the rest of what loadgen saw"}},
		{"HTTP row, all the worker's", overloadFigures{Answer: "429", Shed: 40, WorkerShedCalls: 40, WorkerShedP99: 0.2, ShedP99: 3},
			[]string{"over 40 calls", "the rest of what loadgen saw, 2.800 ms at p99, is queueing in loadgen's HTTP client, the orchestrator"}, []string{"orchestrator's own"}},
	} {
		var b strings.Builder
		c.f.write(&b)
		for _, want := range c.want {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s: report\n%s\nwant %q", c.name, b.String(), want)
			}
		}
		for _, not := range c.not {
			if strings.Contains(b.String(), not) {
				t.Errorf("%s: report\n%s\nhas %q", c.name, b.String(), not)
			}
		}
	}
}

func TestOnlineCoresCountsTheMachineNotTheAffinity(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/stat is Linux's")
	}
	// runtime.NumCPU is the cores this process may use: never more than the machine's.
	if n := onlineCores(); n < runtime.NumCPU() {
		t.Errorf("onlineCores() = %d, fewer than runtime.NumCPU() = %d", n, runtime.NumCPU())
	}
}

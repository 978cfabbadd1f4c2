package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestAddrsAcceptsReplicaLists(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"dns:///scorer.ns.svc.cluster.local:50051", []string{"dns:///scorer.ns.svc.cluster.local:50051"}},
		{"unix:///run/worker/scorer.sock", []string{"unix:///run/worker/scorer.sock"}},
		{"127.0.0.1:50051, 127.0.0.1:50052", []string{"127.0.0.1:50051", "127.0.0.1:50052"}},
		{"[::1]:50051,unix:///tmp/a.sock", []string{"[::1]:50051", "unix:///tmp/a.sock"}},
	}
	for _, tt := range tests {
		p := parser{getenv: env(map[string]string{"WORKER_ADDR": tt.value})}
		if got := p.addrs("WORKER_ADDR", "127.0.0.1:1"); !reflect.DeepEqual(got, tt.want) || len(p.problems) > 0 {
			t.Errorf("addrs(%q) = %q (problems %q), want %q", tt.value, got, p.problems, tt.want)
		}
	}
}

func TestAddrsRejectsBadLists(t *testing.T) {
	for _, value := range []string{
		"127.0.0.1:50051,",
		"127.0.0.1:50051,,127.0.0.1:50052",
		"127.0.0.1:50051,dns:///scorer:50051", // A name to resolve goes on its own.
		"127.0.0.1:50051,scorer",
		"unix://relative.sock",
		"unix:///",
		"127.0.0.1:50051,unix:/one-slash.sock",
	} {
		p := parser{getenv: env(map[string]string{"WORKER_ADDR": value})}
		p.addrs("WORKER_ADDR", "127.0.0.1:1")
		if len(p.problems) != 1 || !strings.Contains(p.problems[0], "WORKER_ADDR=") {
			t.Errorf("addrs(%q) problems %q, want one naming WORKER_ADDR", value, p.problems)
		}
	}
}

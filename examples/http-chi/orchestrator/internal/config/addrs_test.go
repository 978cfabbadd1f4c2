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
		{longestSocket(), []string{longestSocket()}},
	}
	for _, tt := range tests {
		key := workerKey(t)
		p := newParser([]string{key + "=" + tt.value})
		if got := p.addrs(key); !reflect.DeepEqual(got, tt.want) || len(p.problems) > 0 {
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
		// One byte over what a socket address holds: no worker can listen there, and
		// dialing it fails on every attempt while the orchestrator just looks unready.
		longestSocket() + "k",
		"127.0.0.1:50051," + longestSocket() + "k",
	} {
		key := workerKey(t)
		p := newParser([]string{key + "=" + value})
		p.addrs(key)
		if len(p.problems) != 1 || !strings.Contains(p.problems[0], key+"=") {
			t.Errorf("addrs(%q) problems %q, want one naming %s", value, p.problems, key)
		}
	}
}

// workerKey is the first worker's address setting, from the settings table.
func workerKey(t *testing.T) string {
	t.Helper()
	for _, s := range settings {
		if strings.HasPrefix(s.name, "WORKER_") && strings.HasSuffix(s.name, "_ADDR") {
			return s.name
		}
	}
	t.Fatal("no worker address in the settings table")
	return ""
}

// longestSocket is a unix:// address whose path is exactly maxSocketPath bytes.
func longestSocket() string {
	return unixScheme + "//" + "/" + strings.Repeat("s", maxSocketPath-len("/.sock")) + ".sock"
}

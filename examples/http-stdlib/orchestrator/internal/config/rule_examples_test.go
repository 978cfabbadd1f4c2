package config

import (
	"strings"
	"testing"
)

// ruleExamples are the values scripts/checks.sh's rule for each setting takes (ok) and refuses,
// rendered from the one source of both (create-hybrid-backend's src/render/setting-rules.ts); each
// worker's config tests run the same for its settings, so no parser can drift from its rule.
var ruleExamples = []struct {
	name, value string
	ok          bool
}{
	{"LISTEN_ADDR", "8080", false},
	{"LISTEN_ADDR", "localhost", false},
	{"LISTEN_ADDR", ":8080x", false},
	{"LISTEN_ADDR", ":65536", false},
	{"LISTEN_ADDR", ":-8080", false},
	{"LISTEN_ADDR", "::1:8080", false},
	{"LISTEN_ADDR", "[::1]", false},
	{"LISTEN_ADDR", "a b:8080", false},
	{"LISTEN_ADDR", "1.2.3.4:8080:8080", false},
	{"LISTEN_ADDR", "localhost:8080/x", false},
	{"LISTEN_ADDR", "[:::]:8080", false},
	{"LISTEN_ADDR", "[1:2]:8080", false},
	{"LISTEN_ADDR", "[::1::]:8080", false},
	{"LISTEN_ADDR", "[12345::]:8080", false},
	{"LISTEN_ADDR", "[1:2:3:4:5:6:7::8]:8080", false},
	{"LISTEN_ADDR", "[::ffff:1.2.3.256]:8080", false},
	{"LISTEN_ADDR", "[1.2.3.4]:8080", false},
	{"LISTEN_ADDR", "[]:8080", false},
	{"LISTEN_ADDR", "127.0.0.1:0", false},
	{"LISTEN_ADDR", "unix:///", false},
	{"LISTEN_ADDR", "unix:///tmp/", false},
	{"LISTEN_ADDR", "unix:///tmp/.", false},
	{"LISTEN_ADDR", "unix:///tmp/..", false},
	{"LISTEN_ADDR", "unix:///tmp/x/", false},
	{"LISTEN_ADDR", "unix://worker.sock", false},
	{"LISTEN_ADDR", "unix:/worker.sock", false},
	{"LISTEN_ADDR", "unix:///tmp", false},
	{"LISTEN_ADDR", " 127.0.0.1:8080 ", false},
	{"LISTEN_ADDR", "\t[fe80::1%eth0]:8080", false},
	{"LISTEN_ADDR", "127.0.0.1:8080\n", false},
	{"LISTEN_ADDR", " ", false},
	{"LISTEN_ADDR", "127.0.0.1:8080", true},
	{"LISTEN_ADDR", "[::1]:8080", true},
	{"LISTEN_ADDR", "0.0.0.0:8080", true},
	{"LISTEN_ADDR", "[::]:8080", true},
	{"LISTEN_ADDR", "127.0.0.1:0008080", true},
	{"LISTEN_ADDR", "[fe80::1%2]:8080", true},
	{"LISTEN_ADDR", "[::ffff:1.2.3.4]:8080", true},
	{"LISTEN_ADDR", "[1:2:3:4:5:6:7:8]:8080", true},
	{"LISTEN_ADDR", "[1::]:8080", true},
	{"LISTEN_ADDR", ":8080", true},
	{"LISTEN_ADDR", "localhost:8080", true},
	{"LISTEN_ADDR", "127.0.0.1:65535", true},
	{"LISTEN_ADDR", "[fe80::1%eth0]:8080", true},
	{"OPS_LISTEN_ADDR", "8081", false},
	{"OPS_LISTEN_ADDR", "localhost", false},
	{"OPS_LISTEN_ADDR", ":8081x", false},
	{"OPS_LISTEN_ADDR", ":65536", false},
	{"OPS_LISTEN_ADDR", ":-8081", false},
	{"OPS_LISTEN_ADDR", "::1:8081", false},
	{"OPS_LISTEN_ADDR", "[::1]", false},
	{"OPS_LISTEN_ADDR", "a b:8081", false},
	{"OPS_LISTEN_ADDR", "1.2.3.4:8081:8081", false},
	{"OPS_LISTEN_ADDR", "localhost:8081/x", false},
	{"OPS_LISTEN_ADDR", "[:::]:8081", false},
	{"OPS_LISTEN_ADDR", "[1:2]:8081", false},
	{"OPS_LISTEN_ADDR", "[::1::]:8081", false},
	{"OPS_LISTEN_ADDR", "[12345::]:8081", false},
	{"OPS_LISTEN_ADDR", "[1:2:3:4:5:6:7::8]:8081", false},
	{"OPS_LISTEN_ADDR", "[::ffff:1.2.3.256]:8081", false},
	{"OPS_LISTEN_ADDR", "[1.2.3.4]:8081", false},
	{"OPS_LISTEN_ADDR", "[]:8081", false},
	{"OPS_LISTEN_ADDR", "127.0.0.1:0", false},
	{"OPS_LISTEN_ADDR", "unix:///", false},
	{"OPS_LISTEN_ADDR", "unix:///tmp/", false},
	{"OPS_LISTEN_ADDR", "unix:///tmp/.", false},
	{"OPS_LISTEN_ADDR", "unix:///tmp/..", false},
	{"OPS_LISTEN_ADDR", "unix:///tmp/x/", false},
	{"OPS_LISTEN_ADDR", "unix://worker.sock", false},
	{"OPS_LISTEN_ADDR", "unix:/worker.sock", false},
	{"OPS_LISTEN_ADDR", "unix:///tmp", false},
	{"OPS_LISTEN_ADDR", " 127.0.0.1:8081 ", false},
	{"OPS_LISTEN_ADDR", "\t[fe80::1%eth0]:8081", false},
	{"OPS_LISTEN_ADDR", "127.0.0.1:8081\n", false},
	{"OPS_LISTEN_ADDR", " ", false},
	{"OPS_LISTEN_ADDR", "127.0.0.1:8081", true},
	{"OPS_LISTEN_ADDR", "[::1]:8081", true},
	{"OPS_LISTEN_ADDR", "0.0.0.0:8081", true},
	{"OPS_LISTEN_ADDR", "[::]:8081", true},
	{"OPS_LISTEN_ADDR", "127.0.0.1:0008081", true},
	{"OPS_LISTEN_ADDR", "[fe80::1%2]:8081", true},
	{"OPS_LISTEN_ADDR", "[::ffff:1.2.3.4]:8081", true},
	{"OPS_LISTEN_ADDR", "[1:2:3:4:5:6:7:8]:8081", true},
	{"OPS_LISTEN_ADDR", "[1::]:8081", true},
	{"OPS_LISTEN_ADDR", ":8081", true},
	{"OPS_LISTEN_ADDR", "localhost:8081", true},
	{"OPS_LISTEN_ADDR", "127.0.0.1:65535", true},
	{"OPS_LISTEN_ADDR", "[fe80::1%eth0]:8081", true},
	{"WORKER_SCORER_ADDR", " 127.0.0.1:50051 ", false},
	{"WORKER_SCORER_ADDR", "\t127.0.0.1:50051", false},
	{"WORKER_SCORER_ADDR", "127.0.0.1:50051\n", false},
	{"WORKER_SCORER_ADDR", " ", false},
	{"WORKER_SCORER_ADDR", "127.0.0.1:50051", true},
	{"REQUEST_TIMEOUT", "abc", false},
	{"REQUEST_TIMEOUT", "10", false},
	{"REQUEST_TIMEOUT", "-1s", false},
	{"REQUEST_TIMEOUT", "1x", false},
	{"REQUEST_TIMEOUT", "1S", false},
	{"REQUEST_TIMEOUT", "1 s", false},
	{"REQUEST_TIMEOUT", "s", false},
	{"REQUEST_TIMEOUT", "0", false},
	{"REQUEST_TIMEOUT", "0s", false},
	{"REQUEST_TIMEOUT", "-0s", false},
	{"REQUEST_TIMEOUT", "0.1ns", false},
	{"REQUEST_TIMEOUT", " +2s ", false},
	{"REQUEST_TIMEOUT", "\t1ns", false},
	{"REQUEST_TIMEOUT", "+2s\n", false},
	{"REQUEST_TIMEOUT", " ", false},
	{"REQUEST_TIMEOUT", "+2s", true},
	{"REQUEST_TIMEOUT", "1h30m", true},
	{"REQUEST_TIMEOUT", ".5h", true},
	{"REQUEST_TIMEOUT", "500ms", true},
	{"REQUEST_TIMEOUT", "1h2m3.5s", true},
	{"REQUEST_TIMEOUT", "1ns", true},
	{"COALESCE", "maybe", false},
	{"COALESCE", "ON", false},
	{"COALESCE", "o n", false},
	{"COALESCE", " on ", false},
	{"COALESCE", "\toff", false},
	{"COALESCE", "on\n", false},
	{"COALESCE", " ", false},
	{"COALESCE", "on", true},
	{"COALESCE", "off", true},
	{"SHUTDOWN_DELAY", "abc", false},
	{"SHUTDOWN_DELAY", "10", false},
	{"SHUTDOWN_DELAY", "-1s", false},
	{"SHUTDOWN_DELAY", "1x", false},
	{"SHUTDOWN_DELAY", "1S", false},
	{"SHUTDOWN_DELAY", "1 s", false},
	{"SHUTDOWN_DELAY", "s", false},
	{"SHUTDOWN_DELAY", "-1us", false},
	{"SHUTDOWN_DELAY", "-1ns", false},
	{"SHUTDOWN_DELAY", " +2s ", false},
	{"SHUTDOWN_DELAY", "\t-0s", false},
	{"SHUTDOWN_DELAY", "+2s\n", false},
	{"SHUTDOWN_DELAY", " ", false},
	{"SHUTDOWN_DELAY", "+2s", true},
	{"SHUTDOWN_DELAY", "1h30m", true},
	{"SHUTDOWN_DELAY", ".5h", true},
	{"SHUTDOWN_DELAY", "500ms", true},
	{"SHUTDOWN_DELAY", "1h2m3.5s", true},
	{"SHUTDOWN_DELAY", "0", true},
	{"SHUTDOWN_DELAY", "0s", true},
	{"SHUTDOWN_DELAY", "-0s", true},
	{"MAX_BODY_BYTES", "abc", false},
	{"MAX_BODY_BYTES", "-1", false},
	{"MAX_BODY_BYTES", "1.5", false},
	{"MAX_BODY_BYTES", "1e3", false},
	{"MAX_BODY_BYTES", "1 0", false},
	{"MAX_BODY_BYTES", "0x10", false},
	{"MAX_BODY_BYTES", "99999999999999999999999", false},
	{"MAX_BODY_BYTES", "9223372036854775808", false},
	{"MAX_BODY_BYTES", "0", false},
	{"MAX_BODY_BYTES", "-1", false},
	{"MAX_BODY_BYTES", " 1 ", false},
	{"MAX_BODY_BYTES", "\t01", false},
	{"MAX_BODY_BYTES", "1\n", false},
	{"MAX_BODY_BYTES", " ", false},
	{"MAX_BODY_BYTES", "1", true},
	{"MAX_BODY_BYTES", "1", true},
	{"MAX_BODY_BYTES", "+1", true},
	{"MAX_BODY_BYTES", "01", true},
	{"MAX_IN_FLIGHT_BYTES", "abc", false},
	{"MAX_IN_FLIGHT_BYTES", "-1", false},
	{"MAX_IN_FLIGHT_BYTES", "1.5", false},
	{"MAX_IN_FLIGHT_BYTES", "1e3", false},
	{"MAX_IN_FLIGHT_BYTES", "1 0", false},
	{"MAX_IN_FLIGHT_BYTES", "0x10", false},
	{"MAX_IN_FLIGHT_BYTES", "99999999999999999999999", false},
	{"MAX_IN_FLIGHT_BYTES", "9223372036854775808", false},
	{"MAX_IN_FLIGHT_BYTES", "0", false},
	{"MAX_IN_FLIGHT_BYTES", "-1", false},
	{"MAX_IN_FLIGHT_BYTES", " 1 ", false},
	{"MAX_IN_FLIGHT_BYTES", "\t09223372036854775807", false},
	{"MAX_IN_FLIGHT_BYTES", "1\n", false},
	{"MAX_IN_FLIGHT_BYTES", " ", false},
	{"MAX_IN_FLIGHT_BYTES", "1", true},
	{"MAX_IN_FLIGHT_BYTES", "9223372036854775807", true},
	{"MAX_IN_FLIGHT_BYTES", "+9223372036854775807", true},
	{"MAX_IN_FLIGHT_BYTES", "09223372036854775807", true},
	{"SHUTDOWN_TIMEOUT", "abc", false},
	{"SHUTDOWN_TIMEOUT", "10", false},
	{"SHUTDOWN_TIMEOUT", "-1s", false},
	{"SHUTDOWN_TIMEOUT", "1x", false},
	{"SHUTDOWN_TIMEOUT", "1S", false},
	{"SHUTDOWN_TIMEOUT", "1 s", false},
	{"SHUTDOWN_TIMEOUT", "s", false},
	{"SHUTDOWN_TIMEOUT", "0", false},
	{"SHUTDOWN_TIMEOUT", "0s", false},
	{"SHUTDOWN_TIMEOUT", "-0s", false},
	{"SHUTDOWN_TIMEOUT", "0.1ns", false},
	{"SHUTDOWN_TIMEOUT", " +2s ", false},
	{"SHUTDOWN_TIMEOUT", "\t1ns", false},
	{"SHUTDOWN_TIMEOUT", "+2s\n", false},
	{"SHUTDOWN_TIMEOUT", " ", false},
	{"SHUTDOWN_TIMEOUT", "+2s", true},
	{"SHUTDOWN_TIMEOUT", "1h30m", true},
	{"SHUTDOWN_TIMEOUT", ".5h", true},
	{"SHUTDOWN_TIMEOUT", "500ms", true},
	{"SHUTDOWN_TIMEOUT", "1h2m3.5s", true},
	{"SHUTDOWN_TIMEOUT", "1ns", true},
	{"LOG_LEVEL", "loud", false},
	{"LOG_LEVEL", "info+", false},
	{"LOG_LEVEL", "inf", false},
	{"LOG_LEVEL", "debug+1.5", false},
	{"LOG_LEVEL", "in fo", false},
	{"LOG_LEVEL", "info +2", false},
	{"LOG_LEVEL", "info+-2", false},
	{"LOG_LEVEL", "info+9223372036854775808", false},
	{"LOG_LEVEL", "info-9223372036854775809", false},
	{"LOG_LEVEL", "ınfo", false},
	{"LOG_LEVEL", "İNFO", false},
	{"LOG_LEVEL", "ＩＮＦＯ", false},
	{"LOG_LEVEL", "ınfo+1", false},
	{"LOG_LEVEL", " debug ", false},
	{"LOG_LEVEL", "\terror-9223372036854775808", false},
	{"LOG_LEVEL", "debug\n", false},
	{"LOG_LEVEL", " ", false},
	{"LOG_LEVEL", "debug", true},
	{"LOG_LEVEL", "INFO", true},
	{"LOG_LEVEL", "Warn", true},
	{"LOG_LEVEL", "error", true},
	{"LOG_LEVEL", "info+2", true},
	{"LOG_LEVEL", "debug-4", true},
	{"LOG_LEVEL", "info+0000000000000000000002", true},
	{"LOG_LEVEL", "error-9223372036854775808", true},
}

func TestLoadAgreesWithTheScriptsRules(t *testing.T) {
	for _, ex := range ruleExamples {
		_, err := Load([]string{ex.name + "=" + ex.value})
		// Problems are joined by "; " after a ": ", each starting with its variable's name.
		refused := err != nil && (strings.Contains(err.Error(), ": "+ex.name+"=") || strings.Contains(err.Error(), "; "+ex.name+"="))
		if refused == ex.ok {
			t.Errorf("%s=%q: refused %v, the scripts' rule says %v (%v)", ex.name, ex.value, refused, !ex.ok, err)
		}
	}
}

// pairExamples are two listen settings set together: refused, naming both, when they share a port
// (port 0, a free one, aside), as run.sh's claim refuses them before the build; the same source.
var pairExamples = []struct {
	vars        []string
	name, other string
	ok          bool
}{
	{[]string{"LISTEN_ADDR=127.0.0.1:8080", "OPS_LISTEN_ADDR=127.0.0.1:8080"}, "OPS_LISTEN_ADDR", "LISTEN_ADDR", false},
	{[]string{"LISTEN_ADDR=0.0.0.0:8080", "OPS_LISTEN_ADDR=127.0.0.1:8080"}, "OPS_LISTEN_ADDR", "LISTEN_ADDR", false},
	{[]string{"LISTEN_ADDR=127.0.0.1:8080", "OPS_LISTEN_ADDR=0.0.0.0:8080"}, "OPS_LISTEN_ADDR", "LISTEN_ADDR", false},
	{[]string{"LISTEN_ADDR=127.0.0.1:8080", "OPS_LISTEN_ADDR=127.0.0.2:8080"}, "OPS_LISTEN_ADDR", "LISTEN_ADDR", false},
	{[]string{"LISTEN_ADDR=127.0.0.1:8080", "OPS_LISTEN_ADDR=[::1]:8080"}, "OPS_LISTEN_ADDR", "LISTEN_ADDR", false},
	{[]string{"LISTEN_ADDR=127.0.0.1:8080", "OPS_LISTEN_ADDR=127.0.0.1:08080"}, "OPS_LISTEN_ADDR", "LISTEN_ADDR", false},
	{[]string{"LISTEN_ADDR=127.0.0.1:8080", "OPS_LISTEN_ADDR=127.0.0.1:8081"}, "OPS_LISTEN_ADDR", "LISTEN_ADDR", true},
	{[]string{"LISTEN_ADDR=[::1]:8080", "OPS_LISTEN_ADDR=127.0.0.1:8081"}, "OPS_LISTEN_ADDR", "LISTEN_ADDR", true},
}

func TestLoadRefusesTwoListenersOnOnePort(t *testing.T) {
	for _, ex := range pairExamples {
		_, err := Load(ex.vars)
		refused := err != nil && strings.Contains(err.Error(), ex.name+"=") && strings.Contains(err.Error(), ex.other)
		if refused == ex.ok {
			t.Errorf("%q: refused %v (naming %s and %s), want %v (%v)", ex.vars, refused, ex.name, ex.other, !ex.ok, err)
		}
	}
}

// socketExamples are unix:// addresses a worker binds (ok) or refuses at start, and run.sh before
// it: the orchestrator, which dials the same, takes and refuses each alike, from the same source.
var socketExamples = []struct {
	value string
	ok    bool
}{
	{"unix:///", false},
	{"unix:///tmp/", false},
	{"unix:///tmp/.", false},
	{"unix:///tmp/..", false},
	{"unix:///tmp/x/", false},
	{"unix://worker.sock", false},
	{"unix:/worker.sock", false},
	{"unix:///tmp", false},
	{"unix:///tmp/worker.sock", true},
	{"unix:///tmp/.worker.sock", true},
}

func TestAddrsReadsSocketsAsTheWorkersDo(t *testing.T) {
	for _, ex := range socketExamples {
		key := workerKey(t)
		p := newParser([]string{key + "=" + ex.value})
		p.addrs(key)
		if refused := len(p.problems) > 0; refused == ex.ok {
			t.Errorf("%s=%q: refused %v, a worker's refusal %v (%q)", key, ex.value, refused, !ex.ok, p.problems)
		}
	}
}

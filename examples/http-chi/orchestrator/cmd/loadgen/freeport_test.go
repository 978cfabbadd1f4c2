package main

import (
	"net"
	"os"
	"strconv"
	"testing"
)

func TestEphemeralRange(t *testing.T) {
	for _, tc := range []struct {
		published string
		low, high int
	}{
		{"32768\t60999\n", 32768, 60999},
		{"", 49152, 65535},
		{"61000 1024", 49152, 65535},
		{"a b", 49152, 65535},
	} {
		if low, high := ephemeralRange(tc.published); low != tc.low || high != tc.high {
			t.Errorf("ephemeralRange(%q) = %d-%d, want %d-%d", tc.published, low, high, tc.low, tc.high)
		}
	}
}

func TestCandidatePorts(t *testing.T) {
	for _, tc := range []struct{ low, high, from, to int }{
		{32768, 60999, 10000, 32767},
		{49152, 65535, 10000, 49151},
		{10500, 60000, 60001, 65535},
		{1024, 65000, 10000, 65535},
	} {
		if from, to := candidatePorts(tc.low, tc.high); from != tc.from || to != tc.to {
			t.Errorf("candidatePorts(%d, %d) = %d-%d, want %d-%d", tc.low, tc.high, from, to, tc.from, tc.to)
		}
	}
}

// The port must bind, and lie among the candidates: outside the ephemeral
// range, where no outgoing connection can be handed it, unless the machine's
// range (say 1024-65535) leaves no room outside it.
func TestFreePortIsACandidateThatBinds(t *testing.T) {
	published, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	low, high := ephemeralRange(string(published))
	from, to := candidatePorts(low, high)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	if port < from || port > to {
		t.Errorf("port %d is not among the candidates %d-%d", port, from, to)
	}
	if (to < low || from > high) && port >= low && port <= high {
		t.Errorf("port %d is inside the ephemeral range %d-%d", port, low, high)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("the port does not bind: %v", err)
	}
	_ = ln.Close()
}

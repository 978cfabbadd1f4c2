package main

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// Why not bind port 0 and print what the kernel picked: that port is free only
// until it is released, and until its service binds it any outgoing connection
// on the machine (a dial, an exporter, a probe, another test's load) may be
// handed it as its source port, and the service then dies with "address
// already in use". Ports below the ephemeral range (as Google's portpicker
// picks) are never bound implicitly, so only an explicit listener can take one.
// Two picks of one run meet with odds of 1 in about 22,000; the bind fails
// loudly then.

const (
	lowestPort    = 10000 // below: well-known defaults (8080, 9090) a developer may be running
	minCandidates = 1000  // enough that a random pick rarely meets a port in use
	pickAttempts  = 200
)

// ephemeralRange is the kernel's implicit-bind range, inclusive: Linux
// publishes it; elsewhere IANA's dynamic range 49152-65535 is the default.
func ephemeralRange(published string) (low, high int) {
	fields := strings.Fields(published)
	if len(fields) == 2 {
		l, errL := strconv.Atoi(fields[0])
		h, errH := strconv.Atoi(fields[1])
		if errL == nil && errH == nil && 0 < l && l <= h && h <= 65535 {
			return l, h
		}
	}
	return 49152, 65535
}

// candidatePorts is where freePort picks, inclusive: below the ephemeral
// range, or above it when too little is left below.
func candidatePorts(low, high int) (from, to int) {
	switch {
	case low-lowestPort >= minCandidates:
		return lowestPort, low - 1
	case 65535-high >= minCandidates:
		return high + 1, 65535
	default:
		return lowestPort, 65535 // no room outside: the bind check still applies
	}
}

// freePort returns a loopback TCP port outside the ephemeral range that binds
// now, or, if every pick is in use, whatever the kernel hands out.
func freePort() (int, error) {
	published, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	from, to := candidatePorts(ephemeralRange(string(published)))
	for range pickAttempts {
		port := from + rand.IntN(to-from+1)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		_ = ln.Close()
		return port, nil
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = ln.Close() }()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("listener has no TCP address")
	}
	return addr.Port, nil
}

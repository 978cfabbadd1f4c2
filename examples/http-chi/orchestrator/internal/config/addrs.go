package config

import (
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// unixScheme starts a Unix domain socket address, as gRPC spells one.
const unixScheme = "unix:"

// stagingExtra is what a worker adds to its socket's path while it binds: it binds at
// DIR/.NAME~/s, where no one else may connect yet, then links that into place at DIR/NAME.
const stagingExtra = 4

// maxSocketPath is the longest Unix socket path a worker can listen on: a socket address holds
// this platform's sun_path bytes, one of which Rust's std (the workers) keeps for the closing
// NUL, and the worker's bind needs stagingExtra more. Go would dial a longer path, and one the
// worker cannot bind fails on every attempt, so the orchestrator would start and stay unready
// instead of naming the setting.
const maxSocketPath = len(syscall.RawSockaddrUnix{}.Path) - 1 - stagingExtra

// addrs reads a worker's address: one gRPC target, or a comma-separated list of
// replicas (for local runs and tests, where there is no DNS name that lists them).
// In a list each entry must be something the orchestrator can dial directly,
// host:port or unix:///path; a name to resolve belongs on its own (dns:///name:port).
func (p *parser) addrs(key string) []string {
	v := p.value(key)
	parts := strings.Split(v, ",")
	addrs := make([]string, 0, len(parts))
	for _, part := range parts {
		a := strings.TrimSpace(part)
		if a == "" {
			p.fail(key, v, "want an address, or a comma-separated list of them without empty entries")
			return nil
		}
		addrs = append(addrs, a)
	}
	if len(addrs) == 1 {
		if strings.HasPrefix(addrs[0], unixScheme) && !validUnix(addrs[0]) {
			p.fail(key, v, fmt.Sprintf("want unix:///absolute/path.sock, a socket file (no directory), the path at most %d bytes", maxSocketPath))
			return nil
		}
		return addrs
	}
	for _, a := range addrs {
		if !validUnix(a) && !validHostPort(a) {
			p.fail(key, v, fmt.Sprintf("want each entry of a list to be host:port or unix:///absolute/path.sock (a socket file, no directory, the path at most %d bytes), e.g. 127.0.0.1:50051,127.0.0.1:50052", maxSocketPath))
			return nil
		}
	}
	return addrs
}

// validUnix is whether a is unix:// and an absolute path that names a file, as a worker binds one:
// not /, nor one ending in /, . or .., nor a directory that exists (no worker can listen at any of
// them; dialled, each failed on every attempt and left the orchestrator unready without a word).
func validUnix(a string) bool {
	path, ok := strings.CutPrefix(a, unixScheme+"//")
	last := path[strings.LastIndex(path, "/")+1:]
	return ok && strings.HasPrefix(path, "/") && last != "" && last != "." && last != ".." && len(path) <= maxSocketPath && !isDir(path)
}

// isDir is whether path names a directory now; one that does not exist yet is the worker's to create.
func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

func validHostPort(a string) bool {
	host, port, err := net.SplitHostPort(a)
	return err == nil && host != "" && port != "" && !strings.Contains(a, "/")
}

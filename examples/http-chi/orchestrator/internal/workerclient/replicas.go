package workerclient

import (
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

// replicasScheme names the resolver that hands gRPC a fixed list of replica addresses.
const replicasScheme = "replicas"

// target turns a worker's addresses into what grpc.NewClient dials. One address is
// a target as it stands: host:port and dns:///name:port go through gRPC's DNS resolver
// (a headless Service name yields every ready pod), unix:///path through its Unix one.
// Several addresses (local runs, tests: no DNS name lists them) go through grpc-go's
// manual resolver, which hands them over together as one resolver state, so round_robin
// keeps a subchannel per replica with health checked on each. passthrough would not do:
// it passes one address on, verbatim. unix:///path entries need nothing more: grpc-go's
// transport dials an address spelled that way over a Unix socket.
func target(addrs []string) (string, []grpc.DialOption, error) {
	switch len(addrs) {
	case 0:
		return "", nil, errors.New("no worker address")
	case 1:
		return addrs[0], nil, nil
	}
	r := manual.NewBuilderWithScheme(replicasScheme)
	// An endpoint per address: round_robin balances over endpoints.
	state := resolver.State{Endpoints: make([]resolver.Endpoint, len(addrs))}
	for i, a := range addrs {
		state.Endpoints[i] = resolver.Endpoint{Addresses: []resolver.Address{{Addr: a}}}
	}
	r.InitialState(state)
	// WithResolvers registers the builder for this connection only, so every client may
	// use the same scheme.
	return replicasScheme + ":///worker", []grpc.DialOption{grpc.WithResolvers(r)}, nil
}

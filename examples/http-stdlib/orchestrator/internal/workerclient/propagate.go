package workerclient

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// propagate stands in for otelgrpc's client handler when no tracer provider is installed
// (Options.Untraced). That handler would start a no-op span and record its metrics to the
// no-op meter on every call, a few percent of the orchestrator's CPU per request, only to
// write the caller's trace context into the call's metadata: this writes the same headers.
func propagate(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	md, ok := metadata.FromOutgoingContext(ctx)
	if !ok {
		md = metadata.MD{}
	}
	before := md.Len()
	otel.GetTextMapPropagator().Inject(ctx, mdCarrier(md))
	if md.Len() != before {
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// mdCarrier lets a propagator read and write gRPC metadata.
type mdCarrier metadata.MD

var _ propagation.TextMapCarrier = mdCarrier{}

func (c mdCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c mdCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

func (c mdCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

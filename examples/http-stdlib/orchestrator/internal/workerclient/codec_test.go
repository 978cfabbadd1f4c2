package workerclient_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

func request(id string) *scoringv1.ScoreRequest {
	return &scoringv1.ScoreRequest{
		Id:                  id,
		NumericFeatures:     map[string]float64{"amount": 23.4, "account_age_days": 1460, "hour_of_day": 10},
		CategoricalFeatures: map[string]string{"channel": "pos", "country": "US"},
	}
}

// The codec's bytes are protobuf: what protobuf-go reads back is what was sent, and what
// protobuf-go wrote the codec reads, below grpc-go's buffer-pooling threshold and above it.
func TestCodecSpeaksPlainProtobuf(t *testing.T) {
	batch := &scoringv1.ScoreBatchRequest{}
	for i := range 200 {
		batch.Requests = append(batch.Requests, request(fmt.Sprintf("r-%d", i)))
	}
	answer := &scoringv1.ScoreBatchResponse{Responses: []*scoringv1.ScoreResponse{
		{Id: "a", Score: 0.25, ReasonCodes: []string{"AMOUNT_HIGH", "CHANNEL_RISK"}, ModelVersion: "v1"},
	}}
	for _, m := range []proto.Message{request("one"), batch, answer} {
		out, err := workerclient.Codec.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		back := m.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(out.Materialize(), back); err != nil || !proto.Equal(back, m) {
			t.Errorf("%T: protobuf-go read back %v (%v)", m, back, err)
		}
		out.Free()
		wire, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		decoded := m.ProtoReflect().New().Interface()
		if err := workerclient.Codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, decoded); err != nil || !proto.Equal(decoded, m) {
			t.Errorf("%T: the codec read %v (%v)", m, decoded, err)
		}
	}
}

// Messages without generated code, such as the health checks' on the same connection, go
// through grpc-go's own proto codec.
func TestCodecFallsBackForOtherMessages(t *testing.T) {
	m := &healthpb.HealthCheckRequest{Service: scoringv1.ScoringService_ServiceDesc.ServiceName}
	out, err := workerclient.Codec.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back healthpb.HealthCheckRequest
	if err := workerclient.Codec.Unmarshal(out, &back); err != nil || !proto.Equal(&back, m) {
		t.Errorf("read back %v (%v), want %v", &back, err, m)
	}
}

// The worker client's calls go through the codec: grpc-go names a forced codec in the
// content type ("application/grpc+proto"), its default codec does not ("application/grpc").
func TestWorkerCallsUseTheCodec(t *testing.T) {
	seen := make(chan string, 1)
	w := &flakyWorker{}
	addr, _, _ := serve(t, w, grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		select {
		case seen <- fmt.Sprint(md.Get("content-type")):
		default:
		}
		return next(ctx, req)
	}))
	c := newClient(t, addr, realCeiling)
	if _, err := c.Score(context.Background(), request("a")); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != "[application/grpc+proto]" {
		t.Errorf("content type %s, want [application/grpc+proto]", got)
	}
}

package main

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcmem "google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/kinesis-dynamodb/orchestrator/gen/go/scoring/v1"
)

// The batch rows measure the worker, so loadgen must not be what runs out of CPU first:
// marshalling a 100-item ScoreBatchRequest and unmarshalling its 100 responses on every call
// took loadgen a full core at a few thousand calls per second, as much as the worker it was
// loading. So a batch is encoded once, its bytes sent as they are on every call, and the
// answer is only counted, not decoded: what remains in loadgen is the transport's own work.
// grpc-go takes such a codec per call (grpc.ForceCodecV2); the worker sees the same bytes a
// generated client would send.

// wireMessage is a message already in the protobuf wire format.
type wireMessage []byte

// batchAnswer is a ScoreBatchResponse read only as far as counting its responses.
type batchAnswer struct{ responses int }

// responsesField is ScoreBatchResponse.responses' field number, from the contract.
var responsesField = (&scoringv1.ScoreBatchResponse{}).ProtoReflect().Descriptor().Fields().ByName("responses").Number()

// preEncoded is the codec: wireMessage out, batchAnswer in.
type preEncoded struct{}

var _ encoding.CodecV2 = preEncoded{}

// Name is the content subtype; "proto" is what the bytes are.
func (preEncoded) Name() string { return "proto" }

func (preEncoded) Marshal(v any) (grpcmem.BufferSlice, error) {
	w, ok := v.(wireMessage)
	if !ok {
		return nil, fmt.Errorf("pre-encoded codec: cannot send %T", v)
	}
	// A SliceBuffer's Free is a no-op, so gRPC never recycles the shared bytes.
	return grpcmem.BufferSlice{grpcmem.SliceBuffer(w)}, nil
}

func (preEncoded) Unmarshal(data grpcmem.BufferSlice, v any) error {
	a, ok := v.(*batchAnswer)
	if !ok {
		return fmt.Errorf("pre-encoded codec: cannot read into %T", v)
	}
	a.responses = 0
	b := data.Materialize()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		if num == responsesField && typ == protowire.BytesType {
			a.responses++
		}
		b = b[n:]
	}
	return nil
}

// batchCall sends the same ScoreBatch request every time, encoded once (see above), and
// fails a call whose answer does not hold one response per request.
func batchCall(conn *grpc.ClientConn, batch *scoringv1.ScoreBatchRequest) (call, error) {
	wire, err := proto.Marshal(batch)
	if err != nil {
		return nil, fmt.Errorf("encoding the bench batch: %w", err)
	}
	return wireBatchCall(conn, wire, len(batch.GetRequests())), nil
}

// wireBatchCall is batchCall for a batch of want requests already encoded as wire, which
// calls on many connections can then share.
func wireBatchCall(conn *grpc.ClientConn, wire []byte, want int) call {
	codec := grpc.ForceCodecV2(preEncoded{})
	return func(ctx context.Context) error {
		var got batchAnswer
		if err := conn.Invoke(ctx, scoringv1.ScoringService_ScoreBatch_FullMethodName, wireMessage(wire), &got, codec); err != nil {
			return err
		}
		if got.responses != want {
			return fmt.Errorf("batch of %d got %d responses", want, got.responses)
		}
		return nil
	}
}

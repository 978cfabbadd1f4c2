package main

import (
	"testing"

	grpcmem "google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
)

func TestPreEncodedSendsTheBytesAsTheyAre(t *testing.T) {
	wire := wireMessage{1, 2, 3}
	out, err := preEncoded{}.Marshal(wire)
	if err != nil || string(out.Materialize()) != string(wire) {
		t.Fatalf("Marshal = %v, %v; want the bytes unchanged", out.Materialize(), err)
	}
	if _, err := (preEncoded{}).Marshal(&scoringv1.ScoreBatchRequest{}); err == nil {
		t.Error("Marshal took a message it would have to encode")
	}
}

func TestPreEncodedCountsTheResponses(t *testing.T) {
	resp := &scoringv1.ScoreBatchResponse{}
	for _, id := range []string{"a", "b", ""} {
		resp.Responses = append(resp.Responses, &scoringv1.ScoreResponse{Id: id, ReasonCodes: []string{"x"}})
	}
	wire, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	// Split across buffers, as a message read off the connection can be.
	var got batchAnswer
	if err := (preEncoded{}).Unmarshal(grpcmem.BufferSlice{grpcmem.SliceBuffer(wire[:3]), grpcmem.SliceBuffer(wire[3:])}, &got); err != nil || got.responses != 3 {
		t.Errorf("Unmarshal = %d responses, %v; want 3", got.responses, err)
	}
	if err := (preEncoded{}).Unmarshal(grpcmem.BufferSlice{grpcmem.SliceBuffer(wire[:len(wire)-1])}, &got); err == nil {
		t.Error("Unmarshal took a truncated message")
	}
}

package main

import (
	"os"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/pluginpb"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
)

// The committed limits file is what the plugin writes for the contract compiled in, the one whose
// ceiling the orchestrator enforces (validation.MaxJSONBytes, which MaxJSONBytesOf is): else the
// scripts check MAX_BODY_BYTES against a stale bound, as make gen was not run after scoring.proto changed.
func TestTheCommittedLimitsAreTheContracts(t *testing.T) {
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: []string{scoringv1.File_scoring_v1_scoring_proto.Path()}}
	seen := map[string]bool{}
	var add func(f protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		for i := range f.Imports().Len() {
			add(f.Imports().Get(i).FileDescriptor)
		}
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(f))
	}
	add(scoringv1.File_scoring_v1_scoring_proto)
	in, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	out, err := generate(in)
	if err != nil {
		t.Fatal(err)
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("../../../gen/limits/contract.env")
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetFile()[0].GetContent(); got != string(committed) {
		t.Errorf("orchestrator/gen/limits/contract.env holds\n%s\nscoring.proto's limits are\n%s\nrun make gen", committed, got)
	}
}

package validation

// The checks only the HTTP API makes: a queue ingress validates each request of a message on
// its own (one bad request must not fail its neighbours) and reads no protojson bodies.

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
)

// JSONExpansion bounds the protojson size of a valid message by its largest protobuf size.
// The wire size counts each string character at 4 bytes (UTF-8's most) and each number at
// 9 (tag and value); protojson writes a character in at most 6 bytes (a \u escape and four
// hex digits) and a number in at most 24 (the longest shortest round-trip form of a
// double), plus quotes, colons and commas: under 1.6 times the wire size for a message at
// every limit. 2 leaves room for whitespace. Only a body whose strings are all at their
// limits and made of characters outside the Basic Multilingual Plane, each escaped as a
// surrogate pair (12 bytes), can need more; it gets 413, never a worker error.
const JSONExpansion = 2

// MaxJSONBytes is the body limit for a message of m's type in protojson; see JSONExpansion.
func MaxJSONBytes(m proto.Message) int64 {
	return MaxJSONBytesOf(m.ProtoReflect().Descriptor())
}

// MaxJSONBytesOf is MaxJSONBytes of a message's descriptor: protoc-gen-limits sizes the contract
// buf generate hands it, whose stubs need not be the ones compiled in.
func MaxJSONBytesOf(md protoreflect.MessageDescriptor) int64 {
	return int64(JSONExpansion * messageSize(md))
}

// ScoreBatchRequest reports the first problem with req or any of its requests.
func ScoreBatchRequest(req *scoringv1.ScoreBatchRequest) error {
	return check(req)
}

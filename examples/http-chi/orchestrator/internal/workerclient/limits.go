package workerclient

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TooLarge reports whether err is a gRPC message size limit refusing a message: this client's,
// sending a request or receiving an answer (New's MaxCallSendMsgSize and MaxCallRecvMsgSize),
// or the worker's, receiving a request or sending its answer. Unlike a shed call, the same
// call fails the same way however often it is retried; a smaller one may pass. No code marks
// it, only the words: grpc-go says RESOURCE_EXHAUSTED, its code for shedding load too, and
// tonic, the workers' gRPC, OUT_OF_RANGE, also a code for a value out of range.
func TooLarge(err error) bool {
	s, _ := status.FromError(err)
	switch s.Code() {
	case codes.ResourceExhausted:
		// grpc-go: "grpc: received message larger than max (%d vs. %d)", and "trying to send
		// message larger than max".
		return strings.Contains(s.Message(), "larger than max")
	case codes.OutOfRange:
		// tonic (src/codec/decode.rs, encode.rs): "Error, decoded message length too large:
		// found %d bytes, the limit is: %d bytes", and "encoded message length too large".
		return strings.Contains(s.Message(), "message length too large")
	}
	return false
}

// Shed reports whether err is a refusal for load: the worker's RESOURCE_EXHAUSTED, or
// ErrQueueFull, the orchestrator's own queue for it full. The worker is up and the request
// blameless, so the same call passes once load drops. A message over a size limit is
// RESOURCE_EXHAUSTED too, but no load (TooLarge).
func Shed(err error) bool {
	return status.Code(err) == codes.ResourceExhausted && !TooLarge(err)
}

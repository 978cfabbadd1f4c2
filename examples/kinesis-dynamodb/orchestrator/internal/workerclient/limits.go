package workerclient

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TooLarge reports whether err is grpc-go refusing a message over its size limit: this
// client's, sending a request or receiving an answer (New's MaxCallSendMsgSize and
// MaxCallRecvMsgSize), or a grpc-go worker's, receiving a request. grpc-go reports it as
// RESOURCE_EXHAUSTED, the worker's code for shedding load too, with no mark but these words
// (tonic answers OUT_OF_RANGE instead). Unlike a shed call, the same call fails the same way
// however often it is retried; a smaller one may pass.
func TooLarge(err error) bool {
	s, _ := status.FromError(err)
	return s.Code() == codes.ResourceExhausted && strings.Contains(s.Message(), "larger than max")
}

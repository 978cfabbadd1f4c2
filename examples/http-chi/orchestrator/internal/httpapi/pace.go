package httpapi

import (
	"net/http"
	"time"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/validation"
)

// MinBodyBytesPerSecond is the slowest upload the API waits for: a body has BodyReadAllowance
// plus its declared length at this rate to arrive, else 408. One fixed read timeout cannot
// serve both ends of the API's bodies: the 10 s a small request needs at most would refuse a
// batch at the contract's ceiling (about 66 MiB) to any client slower than about 55 Mbit/s,
// while a timeout long enough for that batch lets a stalled small request hold its connection
// as long. 1 MiB/s (8 Mbit/s) is below what a client in the same region, a broadband line or
// a 4G uplink sustains, so it cuts only a client that has stalled or trickles on purpose; at
// it the largest batch gets about 76 s.
const MinBodyBytesPerSecond = 1 << 20

// BodyReadAllowance is the time every body gets on top of its length at MinBodyBytesPerSecond:
// TCP's slow start, a lost packet's retransmission and a client's GC pause take whole seconds
// whatever the size. 10 s, the server's fixed ReadTimeout before bodies were paced, so no body
// gets less time than it did then.
const BodyReadAllowance = 10 * time.Second

// AnswerAllowance is the time a request has after its body is read on top of REQUEST_TIMEOUT,
// the worker call's bound: decoding and checking the body (seconds near the contract's
// ceiling, more under load) and writing the answer. Past it the client gets a dropped
// connection rather than the 504, so it is generous.
const AnswerAllowance = 20 * time.Second

// WriteTimeout is how long a request may take from its body's arrival to the end of its
// answer, for a worker call bounded by requestTimeout.
func WriteTimeout(requestTimeout time.Duration) time.Duration {
	return requestTimeout + AnswerAllowance
}

// bodyReadTime is how long a body of declared bytes (-1: unknown, as a chunked one) may take
// to arrive when limit caps what is read of it; an unknown length gets the time of a body at
// the limit.
func bodyReadTime(declared, limit int64) time.Duration {
	n := limit
	if declared >= 0 && declared < limit {
		n = declared
	}
	return BodyReadAllowance + time.Duration(float64(n)/MinBodyBytesPerSecond*float64(time.Second))
}

// paced gives each request the read deadline of its own body (bodyReadTime, with limit the
// largest any route reads), as the API's server has no ReadTimeout of its own, and a write
// deadline that lets an answer, even a 408 at that read deadline, still be written. The
// scoring routes move the write deadline once the body is in (see bodyRead). A writer without
// deadlines (a test's recorder) is served as it is.
func paced(limit int64, answer time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		readBy := time.Now().Add(bodyReadTime(r.ContentLength, limit))
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(readBy)
		_ = rc.SetWriteDeadline(readBy.Add(answer))
		next.ServeHTTP(w, r)
	})
}

// Paced bounds a request to next as the API bounds its own (paced): its body must arrive at
// MinBodyBytesPerSecond, maxBodyBytes (MAX_BODY_BYTES; 0 for the contract's largest) the most
// it is given time for, and its answer within WriteTimeout(requestTimeout) of that. It is for a
// stand-in served on the API's routes (cmd/gateway), which the server's own ReadTimeout, none
// (server.APIOptions), leaves otherwise unbounded.
func Paced(maxBodyBytes int64, requestTimeout time.Duration, next http.Handler) http.Handler {
	return paced(bodyLimit(maxBodyBytes), WriteTimeout(requestTimeout), next)
}

// bodyLimit is MAX_BODY_BYTES as the API applies it: 0 for the contract's largest batch.
func bodyLimit(maxBodyBytes int64) int64 {
	if maxBodyBytes <= 0 {
		return validation.MaxJSONBytes(&scoringv1.ScoreBatchRequest{})
	}
	return maxBodyBytes
}

// bodyRead is called once a request's body is read, to give the rest of the request its
// full answer time from now, however long the body took. The read deadline needs no lifting:
// net/http clears it itself once a body is read, before it watches the connection for the
// client leaving.
func (h *handler) bodyRead(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.answerTime))
}

package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"example.com/http-chi/orchestrator/internal/validation"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

// ShedRetryAfterSeconds is the Retry-After of a 429, the worker's refusal passed on or the
// orchestrator's own: the smallest value HTTP can express (whole seconds), since both budgets
// free up as calls end (the worker's permits within milliseconds, the orchestrator's bytes
// within a worker call, at most REQUEST_TIMEOUT), and clients with jittered backoff retry
// well inside it.
const ShedRetryAfterSeconds = 1

// UnavailableRetryAfterSeconds is the Retry-After of a 503: a worker down, unreachable or
// known not serving, or the orchestrator stopping. Whole seconds again, and the least: a
// worker restarting or reloading is back within seconds, and the API answers this at once
// without waiting on a connection, so an early retry costs it nothing and finds the worker
// back soonest.
const UnavailableRetryAfterSeconds = 1

// writeRetryable answers a refusal that passes on its own, 429 (load) or 503 (an outage),
// with the Retry-After of its status.
func writeRetryable(w http.ResponseWriter, httpStatus int, code, message string) {
	seconds := ShedRetryAfterSeconds
	if httpStatus == http.StatusServiceUnavailable {
		seconds = UnavailableRetryAfterSeconds
	}
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	writeError(w, httpStatus, code, message+"; retry after "+strconv.Itoa(seconds)+"s")
}

// statusClientClosedRequest is nginx's convention for "the client gave up first";
// nobody reads the response, but it keeps such requests apart from server errors in the logs.
const statusClientClosedRequest = 499

var (
	// Unknown fields are rejected rather than dropped, so a misspelt feature name
	// is a 400 and not a silently different score.
	unmarshalOptions = protojson.UnmarshalOptions{}
	// Zero scores and empty reason lists are still written out, so clients always see every field.
	marshalOptions = protojson.MarshalOptions{EmitUnpopulated: true}
)

// bodies recycles the buffers request bodies are read into and responses are encoded into,
// so steady traffic allocates none for them. protojson copies whatever it keeps (strings,
// numbers, decoded bytes), so a buffer is free again once its message is decoded, or once
// its body is written. Buffers grown past maxPooledBody (a large batch) are left to the GC
// rather than kept for every later small request.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 64 << 10

func getBody() *bytes.Buffer {
	b := bodies.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBody(b *bytes.Buffer) {
	if b.Cap() <= maxPooledBody {
		bodies.Put(b)
	}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Field is, on every 400 and 413 about the body, the path of the field at fault in the
	// contract's names (requests[2].id), whichever layer refused it: JSON syntax, protojson,
	// or a rule. "" is the body as a whole (empty, not a JSON object, too large, unreadable).
	// Answers about anything else have none.
	Field *string `json:"field,omitempty"`
}

// writeJSON writes every answer of the API, an error too, as one line ending in a newline,
// as json.Encoder ends /healthz's and /readyz's: without it, the answer to a curl in a
// terminal runs into the prompt, or into the next log line of `make run` beside it.
// body's spare capacity takes the newline (the pooled buffer's, as a rule), so this
// costs no copy.
func writeJSON(w http.ResponseWriter, httpStatus int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(append(body, '\n')) // A failed write means the client left; there is no one to tell.
}

func writeError(w http.ResponseWriter, httpStatus int, code, message string) {
	body, _ := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: message}}) // Strings always marshal.
	writeJSON(w, httpStatus, body)
}

// writeBodyError answers a refusal of the body at field ("" for the body as a whole).
func writeBodyError(w http.ResponseWriter, httpStatus int, code, message, field string) {
	body, _ := json.Marshal(errorBody{Error: errorDetail{Code: code, Message: message, Field: &field}}) // Strings always marshal.
	writeJSON(w, httpStatus, body)
}

// writeInvalid answers 400 for a request that breaks the contract's rules.
func writeInvalid(w http.ResponseWriter, err error) {
	field := ""
	if verr, ok := errors.AsType[*validation.Error](err); ok {
		field = verr.Field
	}
	writeBodyError(w, http.StatusBadRequest, "invalid_argument", err.Error(), field)
}

// acceptable answers 415 or 413 itself for a request its headers alone rule out: a body
// that is not JSON, or one declared longer than limit. It runs before admission, since no
// retry fixes either, and a 429 under load would have the client try again.
func acceptable(w http.ResponseWriter, r *http.Request, m proto.Message, limit int64) bool {
	// The plain value skips the parse (and its map); anything else gets the full one.
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json")
			return false
		}
	}
	if r.ContentLength > limit {
		writeTooLarge(w, m, limit)
		return false
	}
	return true
}

func writeTooLarge(w http.ResponseWriter, m proto.Message, limit int64) {
	name := m.ProtoReflect().Descriptor().Name()
	writeBodyError(w, http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("request body exceeds %d bytes, the limit for a %s", limit, name), "")
}

// readBody reads a protojson body for m, of at most limit bytes, into a pooled buffer (give it
// back with putBody), answering the client itself when it cannot. acceptable has checked its
// headers.
func readBody(w http.ResponseWriter, r *http.Request, m proto.Message, limit int64) (*bytes.Buffer, bool) {
	buf := getBody()
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	if tooBig, ok := errors.AsType[*http.MaxBytesError](err); ok {
		putBody(buf)
		writeTooLarge(w, m, tooBig.Limit)
		return nil, false
	}
	if errors.Is(err, errHeldFull) {
		putBody(buf)
		refuseAtCapacity(w)
		return nil, false
	}
	if netErr, ok := errors.AsType[net.Error](err); ok && netErr.Timeout() {
		// The body's read deadline (paced) passed mid-body: the connection was slower than
		// MinBodyBytesPerSecond, which says nothing against the content, so not a 400.
		putBody(buf)
		writeError(w, http.StatusRequestTimeout, "request_timeout", "the request body did not arrive in time; send it again, or in smaller requests")
		return nil, false
	}
	if err != nil {
		putBody(buf)
		writeBodyError(w, http.StatusBadRequest, "invalid_argument", "reading request body: "+err.Error(), "")
		return nil, false
	}
	return buf, true
}

// decode unmarshals a body readBody read into m, answering the client itself when it is not one.
func decode(w http.ResponseWriter, body []byte, m proto.Message) bool {
	name := m.ProtoReflect().Descriptor().Name()
	// protojson reports an empty body as a syntax error at an unnamed token.
	if len(bytes.TrimSpace(body)) == 0 {
		writeBodyError(w, http.StatusBadRequest, "invalid_argument", fmt.Sprintf("the body is empty; send a %s as a JSON object", name), "")
		return false
	}
	if err := unmarshalOptions.Unmarshal(body, m); err != nil {
		// protojson names no field, so the body is walked again for it: only once refused.
		writeBodyError(w, http.StatusBadRequest, "invalid_argument", fmt.Sprintf("body is not a valid %s: %v", name, err), validation.JSONField(body, m))
		return false
	}
	return true
}

func (h *handler) writeProto(w http.ResponseWriter, r *http.Request, worker string, m proto.Message) {
	buf := getBody()
	defer putBody(buf)
	body, err := appendAnswer(buf.AvailableBuffer(), m)
	if err != nil {
		// Only content the worker sent, such as invalid UTF-8, can make this fail.
		h.logger.ErrorContext(r.Context(), "encoding worker response", "worker", worker, "error", err, "request_id", requestIDFrom(r.Context()))
		writeError(w, http.StatusBadGateway, "bad_gateway", "scoring worker "+worker+" sent a response that cannot be encoded")
		return
	}
	writeJSON(w, http.StatusOK, body)
	// The encoding may have outgrown the buffer's storage: keep the larger one for the next.
	if cap(body) > buf.Cap() {
		*buf = *bytes.NewBuffer(body[:0])
	}
}

// writeWorkerError maps a failed call to the named worker onto HTTP; its messages name the
// worker, as the API may front several. Only INVALID_ARGUMENT passes the worker's message
// through: it describes the client's input, while other messages describe the worker's
// internals and go to the log instead, at the level workerclient.FailureLog gives them.
func (h *handler) writeWorkerError(w http.ResponseWriter, r *http.Request, worker string, err error) {
	st := status.Convert(err)
	switch {
	case st.Code() == codes.InvalidArgument:
		writeBodyError(w, http.StatusBadRequest, "invalid_argument", st.Message(), validation.FieldOf(st.Message()))
		return
	case st.Code() == codes.Canceled && r.Context().Err() != nil:
		writeError(w, statusClientClosedRequest, "canceled", "client closed the request")
		return
	case errors.Is(err, workerclient.ErrQueueFull):
		// No worker saw the call: the orchestrator's own queue for it is full, load that
		// passes as the calls out return.
		writeRetryable(w, http.StatusTooManyRequests, "resource_exhausted", "the orchestrator's queue of requests for scoring worker "+worker+" is full")
		return
	case errors.Is(err, workerclient.ErrClosed):
		writeRetryable(w, http.StatusServiceUnavailable, "unavailable", "the orchestrator is shutting down")
		return
	case workerclient.TooLarge(err):
		// A gRPC message size limit, not load: the same request fails the same way however
		// often it is retried, so no 429, while a smaller one (fewer requests in a batch)
		// may pass, which 413 says and a 502 would not.
		writeBodyError(w, http.StatusRequestEntityTooLarge, "payload_too_large", "the request or its answer is over scoring worker "+worker+"'s message size limit; send fewer requests per call", "")
		return
	}
	h.logger.LogAttrs(r.Context(), h.failures.Level(err), "worker call failed", slog.String("worker", worker),
		slog.String("grpc_code", st.Code().String()), slog.String("grpc_message", st.Message()), slog.String("request_id", requestIDFrom(r.Context())))
	switch st.Code() {
	case codes.DeadlineExceeded:
		writeError(w, http.StatusGatewayTimeout, "deadline_exceeded", "scoring worker "+worker+" did not answer in time")
	case codes.Unavailable:
		writeRetryable(w, http.StatusServiceUnavailable, "unavailable", "scoring worker "+worker+" is unavailable")
	case codes.ResourceExhausted:
		// The worker shed the call before doing its work: it is up and will take the call
		// once load drops, so 429 plus Retry-After asks the client to slow down and retry,
		// where a 503 would read as an outage (and make load balancers eject the instance).
		writeRetryable(w, http.StatusTooManyRequests, "resource_exhausted", "scoring worker "+worker+" is at capacity")
	default:
		writeError(w, http.StatusBadGateway, "bad_gateway", "scoring worker "+worker+" failed")
	}
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	msg := "no route for " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/v1/workers/") {
		// A misspelt or not yet added worker: say which names there are.
		names := make([]string, len(h.workers))
		for i, nw := range h.workers {
			names[i] = nw.Name
		}
		msg += "; workers: " + strings.Join(names, ", ")
	}
	writeError(w, http.StatusNotFound, "not_found", msg)
}

// methodNotAllowed answers 405 with an Allow header taken from the route table.
func (h *handler) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range h.routes {
		if rt.path != r.URL.Path {
			continue
		}
		allow = append(allow, rt.method)
		if rt.method == http.MethodGet {
			allow = append(allow, http.MethodHead) // Both routers answer HEAD on GET routes.
		}
	}
	if len(allow) == 0 {
		h.notFound(w, r)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path)
}

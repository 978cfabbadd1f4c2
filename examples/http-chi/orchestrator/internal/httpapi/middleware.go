package httpapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

const requestIDHeader = "X-Request-Id"

// requestInfo is what the middleware learns of a request on its way through: its id
// (requestID) and the route that matched (withRoute), which logRequests reads back after
// the handler returns. One value for both, so the chain derives one context and copies the
// request once (each r.WithContext is a copy of the whole http.Request).
type requestInfo struct {
	id    string
	route string // "" until a route matches
}

type requestInfoKey struct{}

// infoFrom returns the request's record, or a blank one outside the middleware chain
// (a handler under test), so callers need no nil checks.
func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

func requestIDFrom(ctx context.Context) string {
	return infoFrom(ctx).id
}

// requestID tags each request with an id, echoed in the response, the logs and the
// worker call's metadata. A caller's own id is kept so a trace from a gateway carries
// through, unless it could not travel safely as a gRPC header value or log field.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = rand.Text()
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, &requestInfo{id: id})))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		if id[i] < '!' || id[i] > '~' {
			return false
		}
	}
	return true
}

// recorder remembers what a handler wrote, for the request log and for recoverPanics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer's Flush and deadlines.
func (rec *recorder) Unwrap() http.ResponseWriter {
	return rec.ResponseWriter
}

// logRequests writes one line per request and records it in the duration histogram. It runs
// inside requestID, whose record carries the id and the matched route to it.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		info := infoFrom(r.Context())
		observeRequest(r, info.route, rec.status, time.Since(start))
		level := slog.LevelInfo
		switch {
		case (r.URL.Path == "/healthz" || r.URL.Path == "/readyz") && rec.status < 400:
			// Probes arrive every few seconds; their successes would bury the real traffic.
			level = slog.LevelDebug
		case rec.status == http.StatusTooManyRequests || rec.status == http.StatusServiceUnavailable || rec.status == http.StatusGatewayTimeout:
			// Refusals for load or an outage, and deadlines passed, counted by the histogram just
			// above: DEBUG by workerclient.FailureLog's rule, as they come fastest exactly when
			// the orchestrator has the least to spare.
			level = slog.LevelDebug
		}
		logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", info.id),
			slog.String("remote_addr", r.RemoteAddr),
		)
	})
}

// recoverPanics turns a handler's panic into a logged 500 instead of a dropped connection
// and a stack trace on stderr, outside the JSON log.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's deliberate way to abort a response; it logs nothing for it.
			}
			logger.ErrorContext(r.Context(), "panic serving request",
				"panic", v, "stack", string(debug.Stack()), "request_id", requestIDFrom(r.Context()))
			if rec, ok := w.(*recorder); ok && rec.status != 0 {
				// Part of the response is out already and a 500 would be glued onto it:
				// abort so the client sees a broken response rather than a wrong one.
				panic(http.ErrAbortHandler)
			}
			writeError(w, http.StatusInternalServerError, "internal", "internal error")
		}()
		next.ServeHTTP(w, r)
	})
}

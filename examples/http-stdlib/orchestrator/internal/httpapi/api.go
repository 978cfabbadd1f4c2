// Package httpapi serves the orchestrator's HTTP API. Bodies are the contract's own
// messages in protojson, so scoring.proto stays the single definition of the API.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	scoringv1 "example.com/http-stdlib/orchestrator/gen/go/scoring/v1"
	"example.com/http-stdlib/orchestrator/internal/validation"
	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

// Worker is what the API needs from the scoring worker; *workerclient.Client provides it.
type Worker interface {
	Score(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error)
	ScoreBatch(context.Context, *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error)
	Health() workerclient.Health
}

// NamedWorker is one scoring worker and the name its routes carry.
type NamedWorker struct {
	Name   string
	Worker Worker
}

// Config wires the API to its dependencies.
type Config struct {
	// Workers each get POST /v1/workers/{name}/score and .../score/batch; the first one, the
	// primary, also answers POST /v1/score and /v1/score/batch. At least one is required.
	Workers []NamedWorker
	// MaxBodyBytes caps request bodies; larger ones get 413. Each route's limit is the lesser
	// of this and validation.MaxJSONBytes of its message, the largest body the contract
	// allows, which is also the default.
	MaxBodyBytes int64
	// MaxInFlightBytes is the most request body bytes the scoring routes handle at once; within
	// it an adaptive limit falls while requests queue or the worker refuses them for load (see
	// gradientLimit), and a request past that gets 429 with Retry-After before its body is
	// decoded (see admission). Default DefaultInFlightBytesPerCore per GOMAXPROCS.
	MaxInFlightBytes int64
	// RequestTimeout bounds each worker call (REQUEST_TIMEOUT); a request has
	// WriteTimeout(RequestTimeout) from its body's arrival to the end of its answer.
	RequestTimeout time.Duration
	// Logger receives one line per request. Default slog.Default().
	Logger *slog.Logger
	// Untraced skips the server span, for a process with no tracer provider installed
	// (telemetry.Exporting is false): the caller's trace context still reaches the workers and
	// the logs, but no per-request span work is done for a span nobody records (propagated).
	Untraced bool
	// Ops, if set, answers GET /healthz, /readyz and /metrics on the API's port too (ops.NewHandler,
	// which decides readiness); nil when they have a listener of their own.
	Ops http.Handler
}

// New returns the API's root handler, middleware included.
func New(cfg Config) http.Handler {
	h := &handler{workers: cfg.Workers, maxBodyBytes: bodyLimit(cfg.MaxBodyBytes), answerTime: WriteTimeout(cfg.RequestTimeout), logger: cfg.Logger, admission: newAdmission(cfg.MaxInFlightBytes)}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	// Fixed paths per worker rather than a {name} wildcard, so an unknown name is a plain 404
	// and both routers dispatch the same table.
	primary := &h.workers[0]
	h.routes = []route{
		{http.MethodPost, "/v1/score", unary(h, primary, validation.ScoreRequest, primary.Worker.Score)},
		{http.MethodPost, "/v1/score/batch", unary(h, primary, validation.ScoreBatchRequest, primary.Worker.ScoreBatch)},
	}
	for i := range h.workers {
		nw := &h.workers[i]
		base := "/v1/workers/" + nw.Name
		h.routes = append(h.routes,
			route{http.MethodPost, base + "/score", unary(h, nw, validation.ScoreRequest, nw.Worker.Score)},
			route{http.MethodPost, base + "/score/batch", unary(h, nw, validation.ScoreBatchRequest, nw.Worker.ScoreBatch)},
		)
	}
	if cfg.Ops != nil {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			h.routes = append(h.routes, route{http.MethodGet, path, cfg.Ops})
		}
	}
	// The middleware wraps the router rather than living inside it, so both router
	// choices trace, tag, log and recover requests identically, 404s and 405s included.
	// paced wraps the rest so the deadlines it sets reach the server's own writer at once.
	inner := requestID(logRequests(h.logger, recoverPanics(h.logger, h.router())))
	if cfg.Untraced {
		return paced(h.maxBodyBytes, h.answerTime, propagated(inner))
	}
	return paced(h.maxBodyBytes, h.answerTime, traced(inner))
}

type handler struct {
	workers      []NamedWorker
	maxBodyBytes int64
	answerTime   time.Duration // WriteTimeout(Config.RequestTimeout)
	logger       *slog.Logger
	failures     workerclient.FailureLog // paces the WARNs of unexpected worker failures
	admission    *admission
	routes       []route
}

// route is one entry of the API's route table. The router is built from the table,
// and 405 answers read their Allow header from it, so both router variants agree.
type route struct {
	method  string
	path    string
	handler http.Handler
}

// message is satisfied by *M for a generated message M; it lets generic code allocate
// an M without reflection.
type message[M any] interface {
	*M
	proto.Message
}

// unary adapts one worker RPC to HTTP: check the headers, admit, read, charge, decode,
// validate, check health, call, encode.
func unary[Req any, PReq message[Req], Resp proto.Message](h *handler, worker *NamedWorker, validate func(PReq) error, call func(context.Context, PReq) (Resp, error)) http.HandlerFunc {
	limit := min(h.maxBodyBytes, validation.MaxJSONBytes(PReq(new(Req))))
	return func(w http.ResponseWriter, r *http.Request) {
		req := PReq(new(Req))
		if !acceptable(w, r, req, limit) || !h.admission.precheck(w, r) {
			return
		}
		var release func()
		r.Body, release = h.admission.held.hold(r.Body)
		defer release()
		body, ok := readBody(w, r, req, limit)
		if !ok {
			return
		}
		defer putBody(body)
		h.bodyRead(w)
		charged, ok := h.admission.charge(w, int64(body.Len()))
		if !ok {
			return
		}
		defer charged.release()
		if !decode(w, body.Bytes(), req) {
			return
		}
		if err := validate(req); err != nil {
			writeInvalid(w, err)
			return
		}
		// Only a known-bad answer short-circuits: while health is still unknown
		// (just after startup), the call itself is the best probe.
		if worker.Worker.Health() == workerclient.HealthNotServing {
			writeRetryable(w, http.StatusServiceUnavailable, "unavailable", "scoring worker "+worker.Name+" is not serving")
			return
		}
		ctx := metadata.AppendToOutgoingContext(r.Context(), "x-request-id", requestIDFrom(r.Context()))
		resp, err := call(ctx, req)
		if err != nil {
			if workerclient.Shed(err) {
				charged.shed()
			}
			h.writeWorkerError(w, r, worker.Name, err)
			return
		}
		h.writeProto(w, r, worker.Name, resp)
		charged.answered()
	}
}

// Package httpapi serves the orchestrator's HTTP API. Bodies are the contract's own
// messages in protojson, so scoring.proto stays the single definition of the API.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"

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

// Config wires the API to its dependencies.
type Config struct {
	Worker Worker
	// MaxBodyBytes caps request bodies; larger ones get 413. Default 1 MiB.
	MaxBodyBytes int64
	// Logger receives one line per request. Default slog.Default().
	Logger *slog.Logger
}

// New returns the API's root handler, middleware included.
func New(cfg Config) http.Handler {
	h := &handler{worker: cfg.Worker, maxBodyBytes: cfg.MaxBodyBytes, logger: cfg.Logger}
	if h.maxBodyBytes <= 0 {
		h.maxBodyBytes = 1 << 20
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	h.routes = []route{
		{http.MethodPost, "/v1/score", unary(h, validation.ScoreRequest, h.worker.Score)},
		{http.MethodPost, "/v1/score/batch", unary(h, validation.ScoreBatchRequest, h.worker.ScoreBatch)},
		{http.MethodGet, "/healthz", http.HandlerFunc(h.healthz)},
		{http.MethodGet, "/readyz", http.HandlerFunc(h.readyz)},
	}
	// The middleware wraps the router rather than living inside it, so both router
	// choices tag, log and recover requests identically, 404s and 405s included.
	return requestID(logRequests(h.logger, recoverPanics(h.logger, h.router())))
}

type handler struct {
	worker       Worker
	maxBodyBytes int64
	logger       *slog.Logger
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

// unary adapts one worker RPC to HTTP: decode, validate, check health, call, encode.
func unary[Req any, PReq message[Req], Resp proto.Message](h *handler, validate func(PReq) error, call func(context.Context, PReq) (Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := PReq(new(Req))
		if !h.decode(w, r, req) {
			return
		}
		if err := validate(req); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_argument", err.Error())
			return
		}
		// Only a known-bad answer short-circuits: while health is still unknown
		// (just after startup), the call itself is the best probe.
		if h.worker.Health() == workerclient.HealthNotServing {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "unavailable", "scoring worker is not serving")
			return
		}
		ctx := metadata.AppendToOutgoingContext(r.Context(), "x-request-id", requestIDFrom(r.Context()))
		resp, err := call(ctx, req)
		if err != nil {
			h.writeWorkerError(w, r, err)
			return
		}
		h.writeProto(w, r, resp)
	}
}

// healthz is liveness: the process is up and serving HTTP. It deliberately ignores the
// worker, so an orchestrator is never restarted for the worker's problems.
func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

// readyz is readiness: traffic is worth sending here only while the worker is SERVING.
func (h *handler) readyz(w http.ResponseWriter, _ *http.Request) {
	if health := h.worker.Health(); health != workerclient.HealthServing {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "scoring worker health is "+health.String())
		return
	}
	writeJSON(w, http.StatusOK, []byte(`{"status":"ready"}`))
}

package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"example.com/sqs-dynamodb/orchestrator/internal/results"
	"example.com/sqs-dynamodb/orchestrator/internal/workerclient"
)

// nopSink stores nothing; these tests are about which workers gate readiness.
type nopSink struct{}

func (nopSink) Put(context.Context, []results.Entry) (results.PutResult, error) {
	return results.PutResult{}, nil
}

func (nopSink) Probe(context.Context) error { return nil }

// An added worker the consumer never calls must not make the orchestrator unready (and block
// rollouts) while consuming goes on; /healthz still reports it.
func TestReadinessIgnoresAWorkerNothingCalls(t *testing.T) {
	cfg, ws, scorer, pricing, changed := twoWorkers(t)
	newPipe(cfg, ws, nopSink{}, slog.New(slog.DiscardHandler))
	setHealth(pricing, false)
	waitHealth(t, ws, changed, 0, workerclient.HealthServing)
	waitHealth(t, ws, changed, 1, workerclient.HealthNotServing)
	if err := ws.ready(); err != nil {
		t.Errorf("ready() = %v with only the uncalled pricing worker NOT_SERVING, want nil", err)
	}
	if got := ws.health(); got["pricing"] != "not_serving" || got["scorer"] != "serving" {
		t.Errorf("health() = %v, want pricing not_serving and scorer serving", got)
	}

	// The worker the consumer calls does gate.
	setHealth(scorer, false)
	waitHealth(t, ws, changed, 0, workerclient.HealthNotServing)
	if err := ws.ready(); err == nil || !strings.Contains(err.Error(), "scorer") {
		t.Errorf("ready() = %v with the primary NOT_SERVING, want an error naming scorer", err)
	}
}

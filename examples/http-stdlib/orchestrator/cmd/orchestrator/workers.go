package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"example.com/http-stdlib/orchestrator/internal/config"
	"example.com/http-stdlib/orchestrator/internal/telemetry"
	"example.com/http-stdlib/orchestrator/internal/workerclient"
)

// workers is one client per configured worker, in the manifest's order (index 0 is the
// primary), and the record of which of them the ingress sends work to. Handing a worker to
// the code that calls it (route) is the one place that decides both where work goes and
// whose health gates readiness, so a worker nothing calls can never make the orchestrator
// unready.
type workers struct {
	cfg     config.Config
	clients []*workerclient.Client
	// scorers holds a routed worker's Coalescer, nil for a worker nothing calls.
	scorers []*workerclient.Coalescer
}

// dialWorkers creates a client per configured worker; none of them dials until watch.
func dialWorkers(cfg config.Config, logger *slog.Logger) (*workers, error) {
	ws := &workers{cfg: cfg, scorers: make([]*workerclient.Coalescer, len(cfg.Workers))}
	for _, w := range cfg.Workers {
		c, err := workerclient.New(w.Addrs, workerclient.Options{CallTimeout: cfg.RequestTimeout, Logger: logger.With("worker", w.Name), Name: w.Name, Untraced: !telemetry.Exporting()})
		if err != nil {
			ws.close()
			return nil, fmt.Errorf("worker %s: %w", w.Name, err)
		}
		ws.clients = append(ws.clients, c)
	}
	return ws, nil
}

// route returns what the caller scores with on worker i, and from then on that worker's
// health gates readiness. Concurrent single requests for a busy worker share its calls
// (COALESCE). Wiring only: route every worker before readiness is served, since ready reads
// the routed set without a lock.
func (ws *workers) route(i int) *workerclient.Coalescer {
	if ws.scorers[i] == nil {
		ws.scorers[i] = workerclient.NewCoalescer(ws.clients[i], workerclient.CoalesceOptions{Off: !ws.cfg.Coalesce, CallTimeout: ws.cfg.RequestTimeout, Name: ws.cfg.Workers[i].Name})
	}
	return ws.scorers[i]
}

// ready is nil while every worker something routes work to has a replica that is SERVING.
func (ws *workers) ready() error {
	for i, s := range ws.scorers {
		if s == nil {
			continue
		}
		if h := s.Health(); h != workerclient.HealthServing {
			return fmt.Errorf("scoring worker %s health is %s", ws.cfg.Workers[i].Name, h)
		}
	}
	return nil
}

// health is every worker's last known health by name, routed or not.
func (ws *workers) health() map[string]string {
	out := make(map[string]string, len(ws.clients))
	for i, c := range ws.clients {
		out[ws.cfg.Workers[i].Name] = c.Health().String()
	}
	return out
}

// watch follows every worker's health, routed or not, until the returned stop is called.
// It takes no context on purpose: the health it keeps gates work through the drain after the
// stop signal (the API's per-request check, the consumers' wait for a worker to come back),
// so it must outlive that signal; a watch ended by it froze each worker's health as it was
// then, answering 503 all through SHUTDOWN_DELAY for a worker back meanwhile, or holding
// queue messages until the shutdown timeout.
func (ws *workers) watch() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var watchers sync.WaitGroup
	for _, c := range ws.clients {
		watchers.Go(func() { c.WatchHealth(ctx) })
	}
	return func() {
		cancel()
		watchers.Wait()
	}
}

// close closes the Coalescers first, once what they queued has been answered, then the
// clients they call.
func (ws *workers) close() {
	for _, s := range ws.scorers {
		if s != nil {
			s.Close()
		}
	}
	for _, c := range ws.clients {
		c.Close()
	}
}

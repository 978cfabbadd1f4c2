package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPFloorAnswersLikeTheOrchestrator(t *testing.T) {
	srv := httptest.NewServer(httpFloorHandler())
	defer srv.Close()
	body := strings.Repeat(`{"id":"x"}`, 1000) // read to the end, whatever it is
	res, err := http.Post(srv.URL+"/v1/score", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST /v1/score: %s, %q", res.Status, res.Header.Get("Content-Type"))
	}
	// The shape loadgen's HTTP client reads from the orchestrator: a ScoreResponse in protobuf JSON.
	var answer struct {
		ID           string   `json:"id"`
		Score        float64  `json:"score"`
		ModelVersion string   `json:"modelVersion"`
		ReasonCodes  []string `json:"reasonCodes"`
	}
	if err := json.Unmarshal(got, &answer); err != nil || answer.ID == "" || answer.ModelVersion == "" || len(answer.ReasonCodes) != 1 {
		t.Fatalf("answer %s: %+v, %v", got, answer, err)
	}
	ready, err := http.Get(srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	_ = ready.Body.Close()
	if ready.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz: %s", ready.Status)
	}
	// Any other route is not the floor's: loadgen must not measure a 404 as a request served.
	other, err := http.Post(srv.URL+"/v1/score/batch", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	_ = other.Body.Close()
	if other.StatusCode != http.StatusNotFound {
		t.Errorf("POST /v1/score/batch: %s, want 404", other.Status)
	}
}

func TestE2ECeilingArithmetic(t *testing.T) {
	cpu := func(m map[string]float64) targetFigures {
		f := targetFigures{}
		f.Closed.CPUPerRequest = m
		f.Closed.PerSecond = 1000
		return f
	}
	// Direct: 60 + 40 = 100 µs. Floor: 70 + 30 = 100 µs, plus the 25 µs the worker spends per
	// e2e request: the HTTP path costs at least 125 µs, so it reaches at most 100/125 = 0.8.
	direct := cpu(map[string]float64{"loadgen": 60, "orchestrator": 0, "worker": 40, "http-floor": 0.5})
	floor := cpu(map[string]float64{"loadgen": 70, "http-floor": 30, "worker": 0.2, "orchestrator": 0.1})
	e2e := cpu(map[string]float64{"loadgen": 80, "orchestrator": 140, "worker": 25})
	c := ceilingOf(direct, floor, e2e)
	if c.DirectUS != 100 || c.FloorUS != 100 || c.E2EWorkerUS != 25 || c.Ceiling != 0.8 {
		t.Fatalf("ceiling %+v, want 100 / (100 + 25) = 0.8 (idle processes off the path not counted)", c)
	}
	r := &results{E2ECeiling: &c, HTTPFloor: &floor}
	var b strings.Builder
	r.writeCeiling(&b)
	for _, want := range []string{"can reach at most 0.800 on these cores", "`loadgen http-floor`), 1000 req/s with no work done"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	// The ceiling is claimed only where the processes share the cores.
	for pinning, want := range map[string]bool{"not pinned to cores": true, "pinned: worker cores 0-1, orchestrator core 2, loadgen core 3": false} {
		r := &results{Settings: settings{Pinning: pinning}, E2E: &e2e, HTTPFloor: &floor, Direct: directFigures{Score: direct}}
		r.checks()
		if got := r.E2ECeiling != nil; got != want {
			t.Errorf("%s: ceiling given %v, want %v", pinning, got, want)
		}
	}
	// No floor measured: no ceiling claimed.
	if c := ceilingOf(direct, targetFigures{}, e2e); c.Ceiling != 0 {
		t.Errorf("ceiling %v without a floor, want 0", c.Ceiling)
	}
}

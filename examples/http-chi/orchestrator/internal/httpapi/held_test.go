package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	scoringv1 "example.com/http-chi/orchestrator/gen/go/scoring/v1"
	"example.com/http-chi/orchestrator/internal/hangwatch"
	"example.com/http-chi/orchestrator/internal/workerclient"
)

// heldWorker scores a batch once the test ends, telling called when it is asked.
type heldWorker struct {
	called chan struct{}
	until  context.Context
}

func (heldWorker) Score(context.Context, *scoringv1.ScoreRequest) (*scoringv1.ScoreResponse, error) {
	return &scoringv1.ScoreResponse{}, nil
}

func (w heldWorker) ScoreBatch(ctx context.Context, _ *scoringv1.ScoreBatchRequest) (*scoringv1.ScoreBatchResponse, error) {
	w.called <- struct{}{}
	select {
	case <-w.until.Done():
	case <-ctx.Done():
	}
	return nil, ctx.Err()
}

func (heldWorker) Health() workerclient.Health { return workerclient.HealthServing }

// upload starts a chunked POST of n bytes of JSON whitespace, which stays open until the test
// ends, and returns the channel its status arrives on.
func upload(t *testing.T, url string, n int) <-chan int {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go func() {
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for sent := 0; sent < n; sent += len(chunk) {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
	}()
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/score/batch", pr)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	return got
}

// Bodies still arriving hold memory the in-flight budget does not charge yet: past
// heldBodiesPerBudget budgets of bodies in memory, one more is refused 429 as it arrives
// rather than read in whole.
func TestBodiesArrivingTogetherAreBoundedInMemory(t *testing.T) {
	const budget = 4 << 20
	until, end := context.WithCancel(context.Background())
	worker := heldWorker{called: make(chan struct{}, 1), until: until}
	srv := httptest.NewServer(New(Config{Workers: []NamedWorker{{Name: "scorer", Worker: worker}}, MaxInFlightBytes: budget, RequestTimeout: time.Minute}))
	t.Cleanup(srv.Close)
	t.Cleanup(end)
	ceiling := time.After(hangwatch.Ceiling)
	// A batch within the budget, held in memory while its worker call lasts.
	body := `{"requests":[{"id":"a"}]}` + strings.Repeat(" ", 3<<20)
	go func() {
		if resp, err := http.Post(srv.URL+"/v1/score/batch", "application/json", strings.NewReader(body)); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-worker.called:
	case <-ceiling:
		t.Fatalf("the first batch did not reach the worker within %v", hangwatch.Ceiling)
	}
	// Within the budget's room, so admitted to be read, but past the bound once read in.
	second := upload(t, srv.URL, heldBodiesPerBudget*budget)
	select {
	case code := <-second:
		if code != http.StatusTooManyRequests {
			t.Errorf("a body arriving past the bound: %d, want 429", code)
		}
	case <-ceiling:
		t.Fatalf("a body arriving past %d held bytes was still being read in after %v; want it refused 429", heldBodiesPerBudget*budget, hangwatch.Ceiling)
	}
}

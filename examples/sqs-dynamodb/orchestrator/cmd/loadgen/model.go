package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"

	scoringv1 "example.com/sqs-dynamodb/orchestrator/gen/go/scoring/v1"
	"example.com/sqs-dynamodb/orchestrator/internal/benchmodel"
)

// modelBatchSize matches workers/scorer/examples/bench_model.rs, so both sides score the same batch.
const modelBatchSize = 1000

// modelFigures is single-core scoring throughput of one implementation of the model.
type modelFigures struct {
	Language   string  `json:"language"`
	Single     float64 `json:"single_per_s"`
	BatchItems float64 `json:"batch_items_per_s"`
}

// benchGoModel times the Go port on one core: GOMAXPROCS(1) puts the garbage collector on
// the same core as the scoring, as the worker's single-thread figure includes its allocator.
func benchGoModel(modelPath string, reqs []*scoringv1.ScoreRequest, round time.Duration, rounds int) (modelFigures, error) {
	m, err := benchmodel.Load(modelPath)
	if err != nil {
		return modelFigures{}, err
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	batch := batchOf(reqs, modelBatchSize).GetRequests()
	var single, items []float64
	// Read at the end, so the compiler cannot drop scores nobody would otherwise look at.
	var sink float64
	for range rounds {
		single = append(single, itemsPerSecond(round, func() int {
			for _, r := range batch {
				sink += m.Score(r.GetNumericFeatures(), r.GetCategoricalFeatures()).Score
			}
			return len(batch)
		}))
		items = append(items, itemsPerSecond(round, func() int {
			// What an in-process Go scorer would do for ScoreBatch: one response per request.
			out := make([]*scoringv1.ScoreResponse, len(batch))
			for i, r := range batch {
				s := m.Score(r.GetNumericFeatures(), r.GetCategoricalFeatures())
				out[i] = &scoringv1.ScoreResponse{Id: r.GetId(), Score: s.Score, ModelVersion: m.Version(), ReasonCodes: s.ReasonCodes}
			}
			sink += out[len(out)-1].GetScore()
			return len(out)
		}))
	}
	if sink <= 0 {
		return modelFigures{}, fmt.Errorf("%s: the model scored nothing", modelPath)
	}
	return modelFigures{Language: "go", Single: median(single), BatchItems: median(items)}, nil
}

func itemsPerSecond(round time.Duration, work func() int) float64 {
	start := time.Now()
	n := 0
	for time.Since(start) < round {
		n += work()
	}
	return float64(n) / time.Since(start).Seconds()
}

// readRustModel reads what `cargo run --release --example bench_model` printed.
func readRustModel(path string) (modelFigures, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return modelFigures{}, err
	}
	var f modelFigures
	if err := json.Unmarshal(data, &f); err != nil || f.Single <= 0 || f.BatchItems <= 0 {
		return modelFigures{}, fmt.Errorf("%s: not bench_model output (%v)", path, err)
	}
	return f, nil
}

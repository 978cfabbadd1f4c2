package main

import (
	"context"
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

// modelFigures is single-core scoring throughput of one implementation of the model: as
// loaded (compiled trees when the file is the one the code was generated from, see
// Compiled) and, as Interpreted*, walking the trees as any other model file is.
type modelFigures struct {
	Language              string  `json:"language"`
	Compiled              bool    `json:"compiled"`
	Single                float64 `json:"single_per_s"`
	BatchItems            float64 `json:"batch_items_per_s"`
	InterpretedSingle     float64 `json:"interpreted_single_per_s,omitempty"`
	InterpretedBatchItems float64 `json:"interpreted_batch_items_per_s,omitempty"`
	// Runs holds each round's figures when these are medians over rounds: bench.sh times the
	// two languages round by round in turn, so the ratios pair round i of each (medianRatio).
	Runs []modelFigures `json:"per_round,omitempty"`
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
	var figures [4][]float64
	// Read at the end, so the compiler cannot drop scores nobody would otherwise look at.
	var sink float64
	for range rounds {
		for at, m := range []*benchmodel.Model{m, m.Interpreted()} {
			single, items := timeGoModel(m, batch, round, &sink)
			figures[2*at] = append(figures[2*at], single)
			figures[2*at+1] = append(figures[2*at+1], items)
		}
	}
	if sink <= 0 {
		return modelFigures{}, fmt.Errorf("%s: the model scored nothing", modelPath)
	}
	var runs []modelFigures
	for i := range rounds {
		runs = append(runs, modelFigures{Language: "go", Compiled: m.IsCompiled(), Single: figures[0][i], BatchItems: figures[1][i],
			InterpretedSingle: figures[2][i], InterpretedBatchItems: figures[3][i]})
	}
	return mediansOf("go", runs), nil
}

// mediansOf is the median of each figure over the rounds, which it keeps as Runs.
func mediansOf(language string, rounds []modelFigures) modelFigures {
	by := func(f func(modelFigures) float64) float64 { return medianBy(rounds, f) }
	return modelFigures{
		Language: language, Compiled: rounds[0].Compiled,
		Single:                by(func(r modelFigures) float64 { return r.Single }),
		BatchItems:            by(func(r modelFigures) float64 { return r.BatchItems }),
		InterpretedSingle:     by(func(r modelFigures) float64 { return r.InterpretedSingle }),
		InterpretedBatchItems: by(func(r modelFigures) float64 { return r.InterpretedBatchItems }),
		Runs:                  rounds,
	}
}

// timeGoModel returns single scores per second and batch items per second over round each.
func timeGoModel(m *benchmodel.Model, batch []*scoringv1.ScoreRequest, round time.Duration, sink *float64) (float64, float64) {
	single := itemsPerSecond(round, func() int {
		for _, r := range batch {
			*sink += m.Score(r.GetNumericFeatures(), r.GetCategoricalFeatures()).Score
		}
		return len(batch)
	})
	items := itemsPerSecond(round, func() int {
		// What an in-process Go scorer would do for ScoreBatch: one response per request.
		out := make([]*scoringv1.ScoreResponse, len(batch))
		for i, r := range batch {
			s := m.Score(r.GetNumericFeatures(), r.GetCategoricalFeatures())
			out[i] = &scoringv1.ScoreResponse{Id: r.GetId(), Score: s.Score, ModelVersion: m.Version(), ReasonCodes: s.ReasonCodes}
		}
		*sink += out[len(out)-1].GetScore()
		return len(out)
	})
	return single, items
}

// compare fills the ratios. The target compares like with like: compiled trees on both
// sides when both have them, the tree walk on both sides otherwise.
func (c *modelCompare) compare() {
	ratio := func(f func(modelFigures) float64) float64 {
		rust, goRounds := roundsOf(c.Rust, f), roundsOf(c.Go, f)
		if len(rust) != len(goRounds) {
			// Not timed round by round in turn, so there is no pairing to keep.
			if f(c.Go) <= 0 {
				return 0
			}
			return f(c.Rust) / f(c.Go)
		}
		return medianRatio(rust, goRounds)
	}
	c.Pair = "as loaded"
	c.batchRatio = ratio(func(m modelFigures) float64 { return m.BatchItems })
	c.SingleRatio = round3(ratio(func(m modelFigures) float64 { return m.Single }))
	if c.Rust.InterpretedBatchItems > 0 && c.Go.InterpretedBatchItems > 0 {
		c.InterpretedSingleRatio = round3(ratio(func(m modelFigures) float64 { return m.InterpretedSingle }))
		c.InterpretedBatchRatio = round3(ratio(func(m modelFigures) float64 { return m.InterpretedBatchItems }))
	}
	switch {
	case c.Rust.Compiled && c.Go.Compiled:
		c.Pair = "compiled trees, both"
	case c.InterpretedBatchRatio > 0:
		c.Pair = "tree walk, both"
		c.SingleRatio = c.InterpretedSingleRatio
		c.batchRatio = ratio(func(m modelFigures) float64 { return m.InterpretedBatchItems })
	}
	c.BatchRatio = round3(c.batchRatio)
}

// roundsOf is figure f of each of m's rounds, or of m itself when it kept none.
func roundsOf(m modelFigures, f func(modelFigures) float64) []float64 {
	if len(m.Runs) == 0 {
		return []float64{f(m)}
	}
	xs := make([]float64, len(m.Runs))
	for i, r := range m.Runs {
		xs[i] = f(r)
	}
	return xs
}

func itemsPerSecond(round time.Duration, work func() int) float64 {
	start := time.Now()
	n := 0
	for time.Since(start) < round {
		n += work()
	}
	return float64(n) / time.Since(start).Seconds()
}

// writeGoModel is `-model-out`: the Go baseline timed alone, its figures written as JSON to
// o.modelOut. bench.sh runs it one round at a time, each right after a round of the worker's
// bench_model, so both languages meet the same moments of a shared machine.
func writeGoModel(_ context.Context, o options) error {
	reqs, err := loadRequests(o.vectors)
	if err != nil {
		return err
	}
	f, err := benchGoModel(o.model, reqs, o.modelRound, o.runs)
	if err != nil {
		return err
	}
	// One file is one round, as the worker's bench_model writes it; the reader keeps the rounds.
	f.Runs = nil
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(o.modelOut, data, 0o644)
}

// readModelRounds reads the rounds one language's scorer wrote (files, comma-separated: the
// worker's bench_model output or writeGoModel's) and gives the median of each figure.
// Every round must score the same way (compiled or walked) for their median to mean anything.
func readModelRounds(files, language string) (modelFigures, error) {
	rounds, err := readRows[modelFigures](files)
	if err != nil {
		return modelFigures{}, err
	}
	for i, r := range rounds {
		if r.Language != language || r.Single <= 0 || r.BatchItems <= 0 {
			return modelFigures{}, fmt.Errorf("round %d of %s: want the %s scorer's positive figures, got %+v", i+1, files, language, r)
		}
		if r.Compiled != rounds[0].Compiled {
			return modelFigures{}, fmt.Errorf("%s: rounds disagree on compiled trees", files)
		}
	}
	return mediansOf(language, rounds), nil
}

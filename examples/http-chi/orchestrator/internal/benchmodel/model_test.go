package benchmodel

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"
)

// The worker's model and the shared vectors: the baseline only means something if it
// computes what the worker computes.
const (
	modelPath   = "../../../workers/scorer/model/model.json"
	vectorsPath = "../../../testdata/vectors.json"
)

type vector struct {
	Name    string
	Request struct {
		NumericFeatures     map[string]float64
		CategoricalFeatures map[string]string
	}
	Expected struct {
		Score       float64
		ReasonCodes []string
	}
}

func load(t testing.TB) (*Model, []vector) {
	t.Helper()
	m, err := Load(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Vectors []vector }
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return m, file.Vectors
}

func TestMatchesTheWorkerOnEveryVector(t *testing.T) {
	m, vectors := load(t)
	for _, v := range vectors {
		got := m.Score(v.Request.NumericFeatures, v.Request.CategoricalFeatures)
		// Scores are rounded to 6 decimals on both sides, so anything beyond float noise is a bug.
		if math.Abs(got.Score-v.Expected.Score) > 1e-12 {
			t.Errorf("%s: score %v, want %v", v.Name, got.Score, v.Expected.Score)
		}
		if !slices.Equal(got.ReasonCodes, v.Expected.ReasonCodes) && len(got.ReasonCodes)+len(v.Expected.ReasonCodes) > 0 {
			t.Errorf("%s: reason codes %v, want %v", v.Name, got.ReasonCodes, v.Expected.ReasonCodes)
		}
	}
}

func TestRejectsMalformedModels(t *testing.T) {
	for name, text := range map[string]string{
		"unknown field":     `{"format_version":1,"link":"logistic","surprise":1}`,
		"wrong format":      `{"format_version":2,"link":"logistic"}`,
		"backward child":    `{"format_version":1,"link":"logistic","features":[{"name":"a","type":"numeric","reason_code":"A"}],"trees":[[{"feature":0,"threshold":1,"default_left":true,"left":0,"right":1,"value":0},{"value":1}]]}`,
		"feature range":     `{"format_version":1,"link":"logistic","features":[],"trees":[[{"feature":3,"threshold":1,"default_left":true,"left":1,"right":2,"value":0},{"value":1},{"value":2}]]}`,
		"type mismatch":     `{"format_version":1,"link":"logistic","features":[{"name":"a","type":"numeric","reason_code":"A"}],"trees":[[{"feature":0,"categories":["x"],"default_left":true,"left":1,"right":2,"value":0},{"value":1},{"value":2}]]}`,
		"empty tree":        `{"format_version":1,"link":"logistic","features":[],"trees":[[]]}`,
		"unknown feat type": `{"format_version":1,"link":"logistic","features":[{"name":"a","type":"text","reason_code":"A"}],"trees":[]}`,
	} {
		if _, err := Parse([]byte(text)); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

// BenchmarkScore is the single-request baseline; `make bench` reports the same figure
// through cmd/loadgen next to the worker's.
func BenchmarkScore(b *testing.B) {
	m, vectors := load(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v := &vectors[i%len(vectors)]
		m.Score(v.Request.NumericFeatures, v.Request.CategoricalFeatures)
	}
}

package benchmodel

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
)

func TestCompiledIsInStep(t *testing.T) {
	data, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("compiled_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("compiled_gen.go is not %s compiled: run `go generate ./internal/benchmodel`", modelPath)
	}
	m, _ := load(t)
	if !m.IsCompiled() {
		t.Fatal("the worker's model loads without its compiled form")
	}
	if other, _ := Parse(append(data, ' ')); other.IsCompiled() {
		t.Fatal("another file loads with the compiled form")
	}
}

// The compiled form must give the walk's margin and credits to the bit, on every vector
// and on random requests around every threshold and category the model tests, with
// missing, unknown and mistyped features and non-finite numbers.
func TestCompiledMatchesTheWalk(t *testing.T) {
	m, vectors := load(t)
	flat := m.Interpreted()
	var numbers []float64
	var categories []string
	for _, tree := range m.trees {
		for _, n := range tree {
			numbers = append(numbers, n.threshold, math.Nextafter(n.threshold, math.Inf(1)), -n.threshold)
		}
	}
	for _, f := range m.features {
		for c := range f.vocabulary {
			categories = append(categories, c)
		}
	}
	slices.Sort(categories)
	numbers = append(numbers, math.NaN(), math.Inf(1), math.Inf(-1), 0)
	categories = append(categories, "never-seen")
	type request struct {
		numeric     map[string]float64
		categorical map[string]string
	}
	var requests []request
	for _, v := range vectors {
		requests = append(requests, request{v.Request.NumericFeatures, v.Request.CategoricalFeatures})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20_000 {
		r := request{map[string]float64{}, map[string]string{}}
		for _, f := range m.features {
			switch rng.IntN(4) {
			case 0:
			case 1:
				r.numeric[f.name] = numbers[rng.IntN(len(numbers))]
			default:
				r.categorical[f.name] = categories[rng.IntN(len(categories))]
				r.numeric[f.name] = numbers[rng.IntN(len(numbers))]
			}
		}
		requests = append(requests, r)
	}
	for _, r := range requests {
		margin, credits := flat.explain(r.numeric, r.categorical)
		gotMargin, gotCredits := scoreCompiled(r.numeric, r.categorical)
		if math.Float64bits(gotMargin) != math.Float64bits(margin) {
			t.Fatalf("%v %v: margin %v, the walk gives %v", r.numeric, r.categorical, gotMargin, margin)
		}
		for f := range credits {
			if math.Float64bits(gotCredits[f]) != math.Float64bits(credits[f]) {
				t.Fatalf("%v %v: credit %d is %v, the walk gives %v", r.numeric, r.categorical, f, gotCredits[f], credits[f])
			}
		}
		got, want := m.Score(r.numeric, r.categorical), flat.Score(r.numeric, r.categorical)
		if got.Score != want.Score || !slices.Equal(got.ReasonCodes, want.ReasonCodes) {
			t.Fatalf("%v %v: compiled %v, the walk %v", r.numeric, r.categorical, got, want)
		}
	}
}

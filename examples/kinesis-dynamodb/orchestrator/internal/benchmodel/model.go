// Package benchmodel is a Go port of the worker's gradient-boosted tree model, kept only as
// a benchmark baseline: `make bench` compares its single-core scoring throughput with the
// Rust worker's, which is how you tell whether the gRPC hop to Rust pays for itself.
// It follows the format and scoring rules documented in workers/NAME/src/model/mod.rs, with the
// same data layout (features resolved into slots, category sets as bitsets), so the
// comparison is between languages and not between algorithms. Production never calls it.
package benchmodel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// maxReasonCodes is how many reason codes a score reports at most.
const maxReasonCodes = 3

// Model is a loaded model ready to score. It is safe for concurrent use.
type Model struct {
	version   string
	baseScore float64
	features  []feature
	trees     [][]node
	// compiled: Score runs compiled_gen.go, generated from this very file.
	compiled bool
}

// Scored is the model's verdict on one set of features.
type Scored struct {
	Score       float64
	ReasonCodes []string
}

type feature struct {
	name       string
	reasonCode string
	// vocabulary is nil for a numeric feature; for a categorical one it maps every
	// category a split mentions to a dense id, as the worker does.
	vocabulary map[string]uint32
}

type node struct {
	value float64
	// feature is -1 on a leaf.
	feature     int
	threshold   float64
	categories  []uint64 // non-nil on a categorical split
	defaultLeft bool
	left, right int
}

// fileModel and fileNode mirror model.json; unknown fields are rejected like the worker does.
type fileModel struct {
	FormatVersion int `json:"format_version"`
	Version       string
	Link          string
	BaseScore     float64 `json:"base_score"`
	Features      []struct {
		Name       string
		Type       string
		ReasonCode string `json:"reason_code"`
	}
	Trees [][]fileNode
}

type fileNode struct {
	Feature     *int
	Threshold   *float64
	Categories  []string
	DefaultLeft *bool `json:"default_left"`
	Left, Right *int
	Value       float64
}

// Load reads a model file such as workers/NAME/model/model.json.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse builds a model from its JSON text. It checks what scoring relies on (indexes in
// range, children after their parent, split tests matching feature types) so a bad file is
// an error instead of a panic; the worker stays the authority on every other rule.
func Parse(data []byte) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileModel
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if f.FormatVersion != 1 || f.Link != "logistic" {
		return nil, fmt.Errorf("model: format_version %d with link %q is not supported", f.FormatVersion, f.Link)
	}
	sum := sha256.Sum256(data)
	m := &Model{version: f.Version, baseScore: f.BaseScore, compiled: hex.EncodeToString(sum[:]) == compiledSHA256}
	for _, fs := range f.Features {
		ft := feature{name: fs.Name, reasonCode: fs.ReasonCode}
		switch fs.Type {
		case "numeric":
		case "categorical":
			ft.vocabulary = map[string]uint32{}
		default:
			return nil, fmt.Errorf("model: feature %q has unknown type %q", fs.Name, fs.Type)
		}
		m.features = append(m.features, ft)
	}
	for t, specs := range f.Trees {
		tree := make([]node, len(specs))
		for i, s := range specs {
			n, err := m.compileNode(i, len(specs), s)
			if err != nil {
				return nil, fmt.Errorf("model: tree %d node %d: %w", t, i, err)
			}
			tree[i] = n
		}
		if len(tree) == 0 {
			return nil, fmt.Errorf("model: tree %d has no nodes", t)
		}
		m.trees = append(m.trees, tree)
	}
	return m, nil
}

func (m *Model) compileNode(index, count int, s fileNode) (node, error) {
	n := node{value: s.Value, feature: -1}
	if s.Feature == nil {
		return n, nil
	}
	if *s.Feature < 0 || *s.Feature >= len(m.features) || s.Left == nil || s.Right == nil || s.DefaultLeft == nil {
		return n, fmt.Errorf("split needs a feature in range, left, right and default_left")
	}
	for _, child := range []int{*s.Left, *s.Right} {
		if child <= index || child >= count {
			return n, fmt.Errorf("child %d must be after this node and inside the tree", child)
		}
	}
	n.feature, n.left, n.right, n.defaultLeft = *s.Feature, *s.Left, *s.Right, *s.DefaultLeft
	vocab := m.features[n.feature].vocabulary
	switch {
	case vocab == nil && s.Threshold != nil && s.Categories == nil:
		n.threshold = *s.Threshold
	case vocab != nil && s.Threshold == nil && len(s.Categories) > 0:
		n.categories = categoryBits(vocab, s.Categories)
	default:
		return n, fmt.Errorf("split test does not match the type of feature %d", n.feature)
	}
	return n, nil
}

// categoryBits interns the categories and returns this split's membership bitset, sized for
// the vocabulary as it stands (later ids read as "not in the set"), exactly like the worker.
func categoryBits(vocab map[string]uint32, categories []string) []uint64 {
	ids := make([]uint32, len(categories))
	for i, c := range categories {
		id, ok := vocab[c]
		if !ok {
			id = uint32(len(vocab))
			vocab[c] = id
		}
		ids[i] = id
	}
	bits := make([]uint64, (len(vocab)+63)/64)
	for _, id := range ids {
		bits[id/64] |= 1 << (id % 64)
	}
	return bits
}

// Version is the model file's version string.
func (m *Model) Version() string { return m.version }

// input is one request feature resolved against the model.
type input struct {
	kind     uint8 // missing, number or category
	number   float64
	category int64 // -1: a category no split mentions
}

const (
	missing uint8 = iota
	number
	category
)

// Score scores one request's features; unknown features are ignored, absent ones are missing.
func (m *Model) Score(numeric map[string]float64, categorical map[string]string) Scored {
	if m.compiled {
		return m.scoreCompiledModel(numeric, categorical)
	}
	margin, credits := m.explain(numeric, categorical)
	return Scored{Score: math.Round(1/(1+math.Exp(-margin))*1e6) / 1e6, ReasonCodes: m.reasonCodes(credits)}
}

// explain walks every tree and returns the margin and the credit per feature.
func (m *Model) explain(numeric map[string]float64, categorical map[string]string) (float64, []float64) {
	inputs := make([]input, len(m.features))
	for i, f := range m.features {
		if f.vocabulary == nil {
			if v, ok := numeric[f.name]; ok {
				inputs[i] = input{kind: number, number: v}
			}
		} else if v, ok := categorical[f.name]; ok {
			id, known := f.vocabulary[v]
			inputs[i] = input{kind: category, category: -1}
			if known {
				inputs[i].category = int64(id)
			}
		}
	}
	margin := m.baseScore
	credits := make([]float64, len(m.features))
	for _, tree := range m.trees {
		margin += walk(tree, inputs, credits)
	}
	return margin, credits
}

// walk returns the reached leaf's value and credits each step to its split's feature.
func walk(tree []node, inputs []input, credits []float64) float64 {
	i := 0
	for {
		n := &tree[i]
		if n.feature < 0 {
			return n.value
		}
		in := inputs[n.feature]
		var left bool
		switch {
		case in.kind == missing:
			left = n.defaultLeft
		case n.categories == nil:
			left = in.number < n.threshold
		default:
			id := in.category
			left = id >= 0 && int(id/64) < len(n.categories) && n.categories[id/64]&(1<<(id%64)) != 0
		}
		next := n.right
		if left {
			next = n.left
		}
		credits[n.feature] += tree[next].value - n.value
		i = next
	}
}

func (m *Model) reasonCodes(credits []float64) []string {
	type raised struct {
		index  int
		credit float64
	}
	var up []raised
	for i, c := range credits {
		if c > 0 {
			up = append(up, raised{i, c})
		}
	}
	// Stable: equal credits keep file order, as in the worker.
	sort.SliceStable(up, func(a, b int) bool { return up[a].credit > up[b].credit })
	codes := make([]string, 0, min(len(up), maxReasonCodes))
	for _, r := range up[:min(len(up), maxReasonCodes)] {
		codes = append(codes, m.features[r.index].reasonCode)
	}
	return codes
}

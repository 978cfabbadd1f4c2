package benchmodel

import "math"

// The compiled form of the worker's model, kept in step by TestCompiledIsInStep.
//go:generate go run ./gen -model ../../../workers/scorer/model/model.json -out compiled_gen.go

// IsCompiled reports whether Score runs the generated code (compiled_gen.go): the model
// file is, byte for byte, the one that code was generated from.
func (m *Model) IsCompiled() bool { return m.compiled }

// Interpreted returns the same model scored by walking its trees, as any other file is.
func (m *Model) Interpreted() *Model {
	c := *m
	c.compiled = false
	return &c
}

// scoreCompiledModel is Score on the generated code; it allocates only the reason codes.
func (m *Model) scoreCompiledModel(numeric map[string]float64, categorical map[string]string) Scored {
	margin, credits := scoreCompiled(numeric, categorical)
	return Scored{Score: math.Round(1/(1+math.Exp(-margin))*1e6) / 1e6, ReasonCodes: m.topReasonCodes(credits[:])}
}

// topReasonCodes is reasonCodes without the sort: a credit moves ahead of a kept one only
// when strictly higher, so ties keep file order (the worker's eval.rs does the same).
func (m *Model) topReasonCodes(credits []float64) []string {
	var top [maxReasonCodes]int
	var topCredit [maxReasonCodes]float64
	kept := 0
	for i, c := range credits {
		if !(c > 0) {
			continue
		}
		at := kept
		for at > 0 && topCredit[at-1] < c {
			at--
		}
		if at == maxReasonCodes {
			continue
		}
		kept = min(kept+1, maxReasonCodes)
		copy(top[at+1:kept], top[at:kept-1])
		copy(topCredit[at+1:kept], topCredit[at:kept-1])
		top[at], topCredit[at] = i, c
	}
	codes := make([]string, kept)
	for k := range kept {
		codes[k] = m.features[top[k]].reasonCode
	}
	return codes
}

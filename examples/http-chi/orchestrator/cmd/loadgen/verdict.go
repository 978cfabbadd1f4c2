package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// verdict answers "does the hop to Rust pay for itself?" from figures measured in this run:
// what a call costs over each transport beyond its scoring, what scoring an item costs in
// Rust and in the Go baseline, and from both the batch size at which the hop pays, and the
// CPU per request saved (positive) or lost (negative) at the shapes the bench sent.
//
// CPU per call is the client's plus the worker's, at fixed concurrency. The client is loadgen
// calling through the generated client, which encodes each request and decodes each answer
// as the orchestrator's does, for single calls and batches alike. The in-process alternative
// is the Go port scoring on one core, building the responses as an in-process scorer would.
type verdict struct {
	Hops []hopCost `json:"hop_per_call"`
	// Scoring alone, one core, microseconds per item.
	RustSingleUS float64 `json:"rust_score_us_per_item_single"`
	RustBatchUS  float64 `json:"rust_score_us_per_item_batch"`
	GoSingleUS   float64 `json:"go_score_us_per_item_single"`
	GoBatchUS    float64 `json:"go_score_us_per_item_batch"`
	// The Rust path's cost model from a Score call (1 item) and a ScoreBatch (BatchSize items)
	// on the main transport: FixedUS per call plus PerItemUS per item (wire and scoring).
	FixedUS   float64 `json:"rust_path_cpu_us_per_call"`
	PerItemUS float64 `json:"rust_path_cpu_us_per_item"`
	// PerItemUS split by process: the client's encoding of each item and decoding of its
	// answer, and the worker's decoding, validation, scoring and encoding. Which side to make
	// cheaper first; both 0 when the client's CPU was not measured apart.
	PerItemClientUS float64 `json:"rust_path_cpu_us_per_item_client,omitempty"`
	PerItemWorkerUS float64 `json:"rust_path_cpu_us_per_item_worker,omitempty"`
	BatchSize       int     `json:"batch_size"`
	// BreakEven is the smallest batch whose hop the faster scoring wins back; 0: none does.
	BreakEven int `json:"break_even_batch_size"`
	// Saved CPU per request (item) by the Rust hop against scoring in-process in Go; negative
	// is CPU lost.
	SavedSingleUS float64 `json:"cpu_us_saved_per_request_single"`
	SavedBatchUS  float64 `json:"cpu_us_saved_per_request_batch"`
	Note          string  `json:"note,omitempty"`
}

// hopCost is one transport's per-call cost: CPU beyond scoring the item, and latency.
type hopCost struct {
	Transport string  `json:"transport"`
	CPUUS     float64 `json:"cpu_us"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
}

// verdictInput is what the verdict is computed from; every field is measured in this run.
type verdictInput struct {
	// Score calls per transport: total client + worker CPU per call, and fixed-rate latency.
	Single []hopCost
	// Total client + worker CPU per ScoreBatch call of BatchSize items, main transport.
	BatchCPUUS float64
	// The client's (loadgen's) share of Single[0].CPUUS and of BatchCPUUS.
	SingleClientUS, BatchClientUS float64
	BatchSize                     int
	Rust, Go                      modelFigures
}

// computeVerdict is pure arithmetic on measured figures (see verdict_test.go).
func computeVerdict(in verdictInput) verdict {
	v := verdict{BatchSize: in.BatchSize}
	if len(in.Single) == 0 || in.Single[0].CPUUS <= 0 || in.BatchCPUUS <= 0 || in.BatchSize < 2 ||
		in.Rust.Single <= 0 || in.Rust.BatchItems <= 0 || in.Go.Single <= 0 || in.Go.BatchItems <= 0 {
		v.Note = "not computed: needs the CPU of the worker and of loadgen per call (Linux /proc), and both model figures"
		return v
	}
	us := func(perSecond float64) float64 { return 1e6 / perSecond }
	v.RustSingleUS, v.RustBatchUS = round3(us(in.Rust.Single)), round3(us(in.Rust.BatchItems))
	v.GoSingleUS, v.GoBatchUS = round3(us(in.Go.Single)), round3(us(in.Go.BatchItems))
	for _, h := range in.Single {
		v.Hops = append(v.Hops, hopCost{h.Transport, round3(h.CPUUS - us(in.Rust.Single)), h.P50, h.P99})
	}
	// Two points, (1, single) and (BatchSize, batch), fix the line cost(n) = fixed + n·perItem.
	single := in.Single[0].CPUUS
	perItem := (in.BatchCPUUS - single) / float64(in.BatchSize-1)
	fixed := single - perItem
	v.FixedUS, v.PerItemUS = round3(fixed), round3(perItem)
	if in.SingleClientUS > 0 && in.BatchClientUS > 0 {
		client := (in.BatchClientUS - in.SingleClientUS) / float64(in.BatchSize-1)
		v.PerItemClientUS, v.PerItemWorkerUS = round3(client), round3(perItem-client)
	}
	// In-process Go costs n·GoBatchUS; the hop pays once fixed + n·perItem <= n·GoBatchUS.
	if gain := us(in.Go.BatchItems) - perItem; gain > 0 {
		v.BreakEven = max(1, int(math.Ceil(fixed/gain)))
	}
	v.SavedSingleUS = round3(us(in.Go.Single) - single)
	v.SavedBatchUS = round3(us(in.Go.BatchItems) - in.BatchCPUUS/float64(in.BatchSize))
	return v
}

// write prints the verdict as a block to paste into a design review.
func (v verdict) write(w io.Writer) {
	fmt.Fprintf(w, "\nverdict (medians of this run; CPU = client + worker, microseconds)\n")
	if v.Note != "" {
		fmt.Fprintf(w, "  %s\n", v.Note)
		return
	}
	for _, h := range v.Hops {
		fmt.Fprintf(w, "  hop per call over %-4s %8.1f us CPU beyond scoring, latency p50 %.3f ms, p99 %.3f ms\n", h.Transport+":", h.CPUUS, h.P50, h.P99)
	}
	fmt.Fprintf(w, "  scoring per item         Rust %.2f us single, %.2f us in a batch; Go baseline %.2f us, %.2f us\n",
		v.RustSingleUS, v.RustBatchUS, v.GoSingleUS, v.GoBatchUS)
	fmt.Fprintf(w, "  Rust path cost           %.1f us per call + %.2f us per item (wire and scoring)\n", v.FixedUS, v.PerItemUS)
	if v.PerItemClientUS != 0 || v.PerItemWorkerUS != 0 {
		fmt.Fprintf(w, "    per item, by process   client %.2f us (encoding it, decoding its answer), worker %.2f us (decoding, validating, scoring %.2f, encoding)\n",
			v.PerItemClientUS, v.PerItemWorkerUS, v.RustBatchUS)
	}
	if v.BreakEven > 0 {
		fmt.Fprintf(w, "  break-even batch size    %d items per call: from there the hop costs less CPU than Go in-process\n", v.BreakEven)
	} else {
		fmt.Fprintf(w, "  break-even batch size    none: an item costs more on the Rust path (%.2f us) than Go scoring it (%.2f us)\n", v.PerItemUS, v.GoBatchUS)
	}
	fmt.Fprintf(w, "  CPU per request          %s at 1 item per call; %s at %d items per call\n",
		savedOrLost(v.SavedSingleUS), savedOrLost(v.SavedBatchUS), v.BatchSize)
}

func savedOrLost(us float64) string {
	if us >= 0 {
		return fmt.Sprintf("%.2f us saved", us)
	}
	return fmt.Sprintf("%.2f us lost", -us)
}

// markdown is bench/verdict.md: the verdict charted (verdict.svg, when computed) beside the
// latency chart, then in figures.
func (v verdict) markdown(o *overloadFigures) string {
	var b strings.Builder
	b.WriteString("# Benchmark verdict\n\n")
	if v.Note == "" {
		b.WriteString("![CPU per request by path](verdict.svg) ")
	}
	b.WriteString("![latency at a fixed rate](latency.svg)\n\n```\n")
	v.write(&b)
	if o != nil {
		o.write(&b)
	}
	b.WriteString("```\n")
	return b.String()
}

// verdictFor computes the verdict from r's figures.
func verdictFor(r *results) verdict {
	in := verdictInput{BatchSize: r.Settings.BatchSize, Rust: r.Model.Rust, Go: r.Model.Go}
	hop := func(transport string, f targetFigures, worker string) hopCost {
		_, total := callCPU(f.Closed, worker)
		return hopCost{Transport: transport, CPUUS: total, P50: f.Open.P50, P99: f.Open.P99}
	}
	in.Single = append(in.Single, hop(r.Settings.Transport, r.Direct.Score, "worker"))
	in.SingleClientUS, _ = callCPU(r.Direct.Score.Closed, "worker")
	if r.Direct.Other != nil {
		in.Single = append(in.Single, hop(r.Settings.OtherTransport, *r.Direct.Other, "worker-alt"))
	}
	if r.Direct.BatchClient != nil {
		in.BatchClientUS, in.BatchCPUUS = callCPU(*r.Direct.BatchClient, "worker")
	}
	return computeVerdict(in)
}

// callCPU is the client's (loadgen's) CPU per call and the client's plus the worker's; both
// 0 if either was not measured.
func callCPU(f closedFigures, worker string) (client, total float64) {
	client, ok1 := f.CPUPerRequest["loadgen"]
	server, ok2 := f.CPUPerRequest[worker]
	if !ok1 || !ok2 {
		return 0, 0
	}
	return client, client + server
}

// transportOf names the transport of a gRPC target: a unix: URI is a Unix socket.
func transportOf(addr string) string {
	if strings.HasPrefix(addr, "unix:") {
		return "uds"
	}
	return "tcp"
}

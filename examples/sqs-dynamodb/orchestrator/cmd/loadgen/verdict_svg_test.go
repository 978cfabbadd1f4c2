package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestVerdictChartHasABarPerPath(t *testing.T) {
	v := verdict{GoSingleUS: 2, GoBatchUS: 1.5, FixedUS: 60, PerItemUS: 0.5, BatchSize: 100}
	bars := verdictBars(v, []gatewayRow{{Variant: "orchestrator-coalesce-on", ServerCPU: 90}, {Variant: "grpc-gateway", ServerCPU: 100}})
	want := map[string]float64{
		"Go in-process, 1 item":              2,
		"Rust hop, 1 item per call":          60.5,
		"Go in-process, per item of 100":     1.5,
		"Rust hop, per item of 100 per call": 1.1,
		"HTTP server: grpc-gateway":          100,
	}
	got := map[string]float64{}
	for _, b := range bars {
		got[b.label] = b.us
	}
	for label, us := range want {
		if g, ok := got[label]; !ok || g < us-1e-9 || g > us+1e-9 {
			t.Errorf("bar %q = %v (present %v), want %v; bars %+v", label, g, ok, us, bars)
		}
	}
	if len(verdictBars(verdict{Note: "not computed"}, nil)) != 0 {
		t.Error("a verdict that was not computed drew bars")
	}

	svg := barsSVG(`CPU <per> request & "more"`, "us", bars)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	rects := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "rect" {
			rects++
		}
	}
	if rects != len(bars)+1 { // the background, then one per bar
		t.Errorf("%d rects, want %d", rects, len(bars)+1)
	}
	if !strings.Contains(string(svg), "HTTP server: grpc-gateway") || !strings.Contains(string(svg), "&lt;per&gt;") {
		t.Errorf("labels missing or unescaped:\n%s", svg)
	}
	if md := v.markdown(nil); !strings.Contains(md, "](verdict.svg)") || !strings.Contains(md, "](latency.svg)") {
		t.Errorf("verdict.md does not put both charts together:\n%s", md)
	}
}

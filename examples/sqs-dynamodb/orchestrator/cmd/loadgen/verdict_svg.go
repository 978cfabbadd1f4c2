package main

import (
	"bytes"
	"fmt"
)

// bar is one horizontal bar of the verdict chart: CPU microseconds per request (item).
type bar struct {
	label string
	us    float64
}

// verdictBars are the verdict's CPU figures side by side: scoring in-process in Go against
// the Rust hop at one item per call and at the batch size, then, when measured, the HTTP
// layer itself, the orchestrator against grpc-gateway.
func verdictBars(v verdict, gateway []gatewayRow) []bar {
	if v.Note != "" {
		return nil
	}
	bars := []bar{
		{"Go in-process, 1 item", v.GoSingleUS},
		{"Rust hop, 1 item per call", v.FixedUS + v.PerItemUS},
		{fmt.Sprintf("Go in-process, per item of %d", v.BatchSize), v.GoBatchUS},
		{fmt.Sprintf("Rust hop, per item of %d per call", v.BatchSize), v.FixedUS/float64(max(v.BatchSize, 1)) + v.PerItemUS},
	}
	for _, g := range gateway {
		bars = append(bars, bar{"HTTP server: " + g.Variant, g.ServerCPU})
	}
	return bars
}

// barsSVG draws labelled horizontal bars on a linear axis from 0, each with its value: a
// chart of a handful of figures, drawn beside latency.svg by the same plain SVG writer.
func barsSVG(title, unit string, bars []bar) []byte {
	const labelW, barH, gap, valueW = 280.0, 22.0, 8.0, 70.0
	plotW := chartW - left - labelW - valueW
	height := top + float64(len(bars))*(barH+gap) + 50
	xMax := 0.0
	for _, b := range bars {
		xMax = max(xMax, b.us)
	}
	xMax = niceCeil(xMax)
	x0 := left + labelW
	x := func(v float64) float64 { return x0 + max(v, 0)/xMax*plotW }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", chartW, height, chartW, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, esc(title))
	axisY := top + float64(len(bars))*(barH+gap)
	for i := 0; i <= 4; i++ {
		v := xMax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#ddd"/>`+"\n", x(v), top-4, x(v), axisY)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%g</text>`+"\n", x(v), axisY+16, round3(v))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">%s</text>`+"\n", x0+plotW/2, axisY+34, esc(unit))
	for i, br := range bars {
		y := top + float64(i)*(barH+gap)
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end">%s</text>`+"\n", x0-8, y+barH/2+4, esc(br.label))
		fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%.1f" height="%g" fill="%s"/>`+"\n", x0, y, x(br.us)-x0, barH, palette[i%len(palette)])
		fmt.Fprintf(&b, `<text x="%.1f" y="%g">%.1f</text>`+"\n", x(br.us)+6, y+barH/2+4, br.us)
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

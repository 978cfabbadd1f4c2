package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"time"
)

// series is one latency distribution to draw: the pooled, sorted samples of a phase.
type series struct {
	name   string
	sorted []time.Duration
}

// Chart geometry, in SVG user units.
const (
	chartW, chartH           = 760.0, 440.0
	left, right, top, bottom = 70.0, 20.0, 40.0, 110.0
	maxNines                 = 4.0 // the x axis ends at 99.99%
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"}

// latencySVG draws latency against percentile, the usual way to show a latency
// distribution: the x axis counts "nines" (0%, 90%, 99%, 99.9%, 99.99%), so the tail gets
// as much room as the median; the y axis is linear milliseconds. A dashed line marks
// targetMS when it is positive.
func latencySVG(title string, all []series, targetMS float64) []byte {
	plotW, plotH := chartW-left-right, chartH-top-bottom
	yMax := targetMS * 1.25
	for _, s := range all {
		if len(s.sorted) > 0 {
			yMax = max(yMax, ms(percentile(s.sorted, 100*(1-math.Pow(10, -nines(len(s.sorted)))))))
		}
	}
	yMax = niceCeil(yMax)
	x := func(n float64) float64 { return left + n/maxNines*plotW }
	y := func(v float64) float64 { return top + plotH - v/yMax*plotH }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%g" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, esc(title))
	for i, label := range []string{"0%", "90%", "99%", "99.9%", "99.99%"} {
		gx := x(float64(i))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#ddd"/>`+"\n", gx, top, gx, top+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`+"\n", gx, top+plotH+16, label)
	}
	for i := 0; i <= 5; i++ {
		v := yMax * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#ddd"/>`+"\n", left, y(v), left+plotW, y(v))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end">%g</text>`+"\n", left-6, y(v)+4, round3(v))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle">percentile (requests at or below the latency)</text>`+"\n", left+plotW/2, top+plotH+34)
	fmt.Fprintf(&b, `<text transform="translate(18 %g) rotate(-90)" text-anchor="middle">latency, ms</text>`+"\n", top+plotH/2)
	if targetMS > 0 {
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#555" stroke-dasharray="6 4"/>`+"\n", left, y(targetMS), left+plotW, y(targetMS))
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" fill="#555">p99 target %g ms</text>`+"\n", left+plotW-4, y(targetMS)-5, targetMS)
	}
	for i, s := range all {
		color := palette[i%len(palette)]
		if len(s.sorted) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="`, color)
			last := nines(len(s.sorted))
			for n := 0.0; ; n = min(n+0.02, last) {
				fmt.Fprintf(&b, "%.1f,%.1f ", x(n), y(ms(percentile(s.sorted, 100*(1-math.Pow(10, -n))))))
				if n >= last {
					break
				}
			}
			b.WriteString("\"/>\n")
		}
		ly := top + plotH + 56 + float64(i)*16
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="3"/>`+"\n", left, ly-4, left+24, ly-4, color)
		fmt.Fprintf(&b, `<text x="%g" y="%g">%s (%d requests)</text>`+"\n", left+30, ly, esc(s.name), len(s.sorted))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// nines is how far right a distribution of n samples can honestly be drawn: at n samples
// the 1-1/n percentile is the last one that is not just the maximum.
func nines(n int) float64 {
	return min(maxNines, math.Log10(float64(max(n, 1))))
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

// niceCeil rounds up to 1, 2 or 5 times a power of ten, so the axis has round ticks.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // Writing to a bytes.Buffer cannot fail.
	return b.String()
}

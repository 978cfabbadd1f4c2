package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLatencySVGIsWellFormed(t *testing.T) {
	var fast, slow []time.Duration
	for i := range 5000 {
		fast = append(fast, time.Duration(100+i/10)*time.Microsecond)
		slow = append(slow, time.Duration(1+i/100)*time.Millisecond)
	}
	svg := latencySVG(`a <title> & "quotes"`, []series{{"fast", fast}, {"slow & late", slow}, {"empty", nil}}, 2)

	dec := xml.NewDecoder(bytes.NewReader(svg))
	var root string
	polylines := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if el, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = el.Name.Local
				if el.Name.Space != "http://www.w3.org/2000/svg" {
					t.Errorf("root namespace %q", el.Name.Space)
				}
			}
			if el.Name.Local == "polyline" {
				polylines++
			}
		}
	}
	if root != "svg" {
		t.Errorf("root element %q, want svg", root)
	}
	if polylines != 2 {
		t.Errorf("%d polylines, want one per non-empty series", polylines)
	}
	for _, want := range []string{"99.9%", "p99 target 2 ms", "slow &amp; late (5000 requests)"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0.7: 1, 1: 1, 1.2: 2, 3: 5, 7: 10, 23: 50, 0: 1} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}

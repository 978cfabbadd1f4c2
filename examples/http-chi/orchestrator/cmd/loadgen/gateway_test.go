package main

import "testing"

func TestGatewayRowsTakeMediansAndRatios(t *testing.T) {
	groups := map[string][]gatewayRun{
		"orchestrator-coalesce-on": {{Variant: "orchestrator-coalesce-on", ServerCPU: 90, Requests: 10}, {ServerCPU: 70, Requests: 10}, {ServerCPU: 80, Requests: 10}},
		"grpc-gateway":             {{ServerCPU: 100, Requests: 5}, {ServerCPU: 60, Requests: 5, Errors: 0}, {ServerCPU: 110, Requests: 5}},
	}
	rows := gatewayRows([]string{"orchestrator-coalesce-on", "grpc-gateway"}, groups)
	if len(rows) != 2 || rows[0].ServerCPU != 80 || rows[1].ServerCPU != 100 || rows[0].Requests != 30 || rows[0].Runs != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	// Run by run 0.9, 1.167 and 0.727: their median 0.9, not the ratio of the medians 80/100.
	if rows[0].VsGateway != 0.9 || rows[1].VsGateway != 1 {
		t.Fatalf("ratios = %v, %v", rows[0].VsGateway, rows[1].VsGateway)
	}
	if ratio, met, ok := gatewayCheck(rows); !ok || !met || ratio != 0.9 {
		t.Fatalf("check = %v, met %v, %v", ratio, met, ok)
	}
}

// Without both rows there is no target row; with both, failed calls or a ratio over 1 (judged
// unrounded) read as not met rather than leaving the row out.
func TestGatewayCheckNeedsBothCleanRows(t *testing.T) {
	runs := func(xs ...float64) []float64 { return xs }
	for name, rows := range map[string][]gatewayRow{
		"no gateway":      {{Variant: gatewayTargetVariant, ServerCPURuns: runs(80)}},
		"no orchestrator": {{Variant: gatewayBaseline, ServerCPURuns: runs(80)}},
	} {
		if _, _, ok := gatewayCheck(rows); ok {
			t.Errorf("%s: check made from %+v", name, rows)
		}
	}
	for name, rows := range map[string][]gatewayRow{
		"gateway errors":    {{Variant: gatewayTargetVariant, ServerCPURuns: runs(80)}, {Variant: gatewayBaseline, ServerCPURuns: runs(90), Errors: 1}},
		"zero gateway CPU":  {{Variant: gatewayTargetVariant, ServerCPURuns: runs(80)}, {Variant: gatewayBaseline, ServerCPURuns: runs(0)}},
		"orchestrator errs": {{Variant: gatewayTargetVariant, ServerCPURuns: runs(80), Errors: 2}, {Variant: gatewayBaseline, ServerCPURuns: runs(90)}},
		"just over 1":       {{Variant: gatewayTargetVariant, ServerCPURuns: runs(100.04)}, {Variant: gatewayBaseline, ServerCPURuns: runs(100)}},
	} {
		if _, met, ok := gatewayCheck(rows); !ok || met {
			t.Errorf("%s: want a row, not met; got met %v, row %v", name, met, ok)
		}
	}
}

package main

import "testing"

func TestGatewayRowsTakeMediansAndRatios(t *testing.T) {
	byVariant := map[string][]gatewayRun{
		"orchestrator-coalesce-on": {{Variant: "orchestrator-coalesce-on", ServerCPU: 90, Requests: 10}, {ServerCPU: 70, Requests: 10}, {ServerCPU: 80, Requests: 10}},
		"grpc-gateway":             {{ServerCPU: 100, Requests: 5}, {ServerCPU: 60, Requests: 5, Errors: 0}, {ServerCPU: 110, Requests: 5}},
	}
	rows := gatewayRows([]string{"orchestrator-coalesce-on", "grpc-gateway"}, byVariant)
	if len(rows) != 2 || rows[0].ServerCPU != 80 || rows[1].ServerCPU != 100 || rows[0].Requests != 30 || rows[0].Runs != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	// Run by run 0.9, 1.167 and 0.727: their median 0.9, not the ratio of the medians 80/100.
	if rows[0].VsGateway != 0.9 || rows[1].VsGateway != 1 {
		t.Fatalf("ratios = %v, %v", rows[0].VsGateway, rows[1].VsGateway)
	}
	if ratio, ok := gatewayCheck(rows); !ok || ratio != 0.9 {
		t.Fatalf("check = %v, %v", ratio, ok)
	}
}

func TestGatewayCheckNeedsBothCleanRows(t *testing.T) {
	cases := map[string][]gatewayRow{
		"no gateway":        {{Variant: gatewayTargetVariant, ServerCPU: 80}},
		"no orchestrator":   {{Variant: gatewayBaseline, ServerCPU: 80}},
		"gateway errors":    {{Variant: gatewayTargetVariant, ServerCPU: 80}, {Variant: gatewayBaseline, ServerCPU: 90, Errors: 1}},
		"zero gateway CPU":  {{Variant: gatewayTargetVariant, ServerCPU: 80}, {Variant: gatewayBaseline}},
		"orchestrator errs": {{Variant: gatewayTargetVariant, ServerCPU: 80, Errors: 2}, {Variant: gatewayBaseline, ServerCPU: 90}},
	}
	for name, rows := range cases {
		if _, ok := gatewayCheck(rows); ok {
			t.Errorf("%s: check made from %+v", name, rows)
		}
	}
}

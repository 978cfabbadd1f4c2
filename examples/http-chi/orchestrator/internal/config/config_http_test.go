package config

import (
	"testing"
	"time"
)

func TestLoadHTTPDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Ingress{MaxBodyBytes: bodyCeiling}); cfg.Ingress != want {
		t.Errorf("Load().Ingress = %+v, want %+v", cfg.Ingress, want)
	}
}

func TestLoadHTTPOverrides(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"LISTEN_ADDR":         "127.0.0.1:9000",
		"SHUTDOWN_DELAY":      "7s",
		"OPS_LISTEN_ADDR":     "127.0.0.1:9001",
		"MAX_BODY_BYTES":      "2048",
		"MAX_IN_FLIGHT_BYTES": "65536",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Ingress{OpsListenAddr: "127.0.0.1:9001", ShutdownDelay: 7 * time.Second, MaxBodyBytes: 2048, MaxInFlightBytes: 65536}
	if cfg.Ingress != want {
		t.Errorf("Load().Ingress = %+v, want %+v", cfg.Ingress, want)
	}
}

func TestLoadHTTPRejectsBadValues(t *testing.T) {
	rejects(t, []badValue{
		{"MAX_BODY_BYTES", "1MiB"},
		{"MAX_BODY_BYTES", "0"},
		{"MAX_BODY_BYTES", "1099511627776"}, // Past the contract's ceiling: the worker could never take it.
		{"MAX_IN_FLIGHT_BYTES", "0"},
		{"MAX_IN_FLIGHT_BYTES", "1MiB"},
		{"SHUTDOWN_DELAY", "-1s"},
		{"SHUTDOWN_DELAY", "5"},
		{"OPS_LISTEN_ADDR", "8081"},
		{"OPS_LISTEN_ADDR", ":8080"}, // the API's own
	})
}

func TestLoadHTTPReportsMisspeltSettings(t *testing.T) {
	warns(t, []Unknown{
		{"MAX_BODY_BYTE", "MAX_BODY_BYTES"},
		{"OPS_LISTEN", "OPS_LISTEN_ADDR"},
		{"SHUTDOWN_DELAYS", "SHUTDOWN_DELAY"},
	})
}

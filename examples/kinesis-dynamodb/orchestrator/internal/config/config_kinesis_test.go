package config

import (
	"testing"
	"time"
)

func TestLoadKinesisDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Ingress{
		StreamName:          "kinesis-dynamodb-requests",
		LeaseTable:          "kinesis-dynamodb-leases",
		LeaseDuration:       10 * time.Second,
		MaxAttempts:         10,
		DeadLetterTable:     "kinesis-dynamodb-dead-letters",
		InitialPosition:     "TRIM_HORIZON",
		DeadLetterRetention: 336 * time.Hour,
	}
	if cfg.Ingress != want {
		t.Errorf("Load().Ingress = %+v, want %+v", cfg.Ingress, want)
	}
}

func TestLoadKinesisOverrides(t *testing.T) {
	cfg, err := Load(env(map[string]string{
		"KINESIS_STREAM_NAME":      "orders-stream",
		"LEASE_TABLE":              "orders-leases",
		"LEASE_DURATION":           "3s",
		"KINESIS_MAX_ATTEMPTS":     "4",
		"DEAD_LETTER_TABLE":        "orders-dead",
		"KINESIS_INITIAL_POSITION": "LATEST",
		"DEAD_LETTER_RETENTION":    "24h",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Ingress{StreamName: "orders-stream", LeaseTable: "orders-leases", LeaseDuration: 3 * time.Second, MaxAttempts: 4, DeadLetterTable: "orders-dead", InitialPosition: "LATEST", DeadLetterRetention: 24 * time.Hour}
	if cfg.Ingress != want {
		t.Errorf("Load().Ingress = %+v, want %+v", cfg.Ingress, want)
	}
}

func TestLoadKinesisRejectsBadValues(t *testing.T) {
	rejects(t, []badValue{
		{"LEASE_DURATION", "soon"},
		{"LEASE_DURATION", "500ms"}, // renewed every third of it: one slow write would lose it
		{"KINESIS_MAX_ATTEMPTS", "0"},
		{"KINESIS_MAX_ATTEMPTS", "many"},
		{"KINESIS_INITIAL_POSITION", "latest"},
		{"KINESIS_INITIAL_POSITION", "AT_TIMESTAMP"},
		{"DEAD_LETTER_RETENTION", "500ms"}, // expires_at is in whole seconds
	})
}

func TestLoadKinesisReportsMisspeltSettings(t *testing.T) {
	warns(t, []Unknown{
		{"KINESIS_STRAEM", "KINESIS_STREAM_NAME"},
		{"LEASE_TABEL", "LEASE_TABLE"},
		{"DEAD_LETTERS_TABLE", "DEAD_LETTER_TABLE"},
	})
}

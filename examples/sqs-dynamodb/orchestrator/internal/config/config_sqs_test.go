package config

import (
	"testing"
	"time"
)

func TestLoadSQSDefaults(t *testing.T) {
	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Ingress{QueueName: "sqs-dynamodb-requests", VisibilityTimeout: 30 * time.Second, Concurrency: 20}); cfg.Ingress != want {
		t.Errorf("Load().Ingress = %+v, want %+v", cfg.Ingress, want)
	}
}

func TestLoadSQSOverrides(t *testing.T) {
	cfg, err := Load(env(map[string]string{"SQS_QUEUE_NAME": "orders", "SQS_VISIBILITY_TIMEOUT": "2m", "CONCURRENCY": "4"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Ingress{QueueName: "orders", VisibilityTimeout: 2 * time.Minute, Concurrency: 4}); cfg.Ingress != want {
		t.Errorf("Load().Ingress = %+v, want %+v", cfg.Ingress, want)
	}
}

func TestLoadSQSRejectsBadValues(t *testing.T) {
	rejects(t, []badValue{
		{"SQS_VISIBILITY_TIMEOUT", "0s"},
		{"SQS_VISIBILITY_TIMEOUT", "1500ms"},
		{"SQS_VISIBILITY_TIMEOUT", "13h"},
		{"CONCURRENCY", "0"},
		{"CONCURRENCY", "many"},
		{"SQS_QUEUE_NAME", "orders.fifo"},
	})
}

func TestLoadSQSReportsMisspeltSettings(t *testing.T) {
	warns(t, []Unknown{
		{"SQS_QUEUE_URL", "SQS_QUEUE_NAME"},
		{"SQS_VISIBILITY", "SQS_VISIBILITY_TIMEOUT"},
	})
}

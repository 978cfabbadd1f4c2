package config

import "testing"

func TestLoadDynamoDBSink(t *testing.T) {
	for value, want := range map[string]string{"": "sqs-dynamodb-results", "orders-results": "orders-results"} {
		cfg, err := Load(env(map[string]string{"DYNAMODB_TABLE": value}))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ResultsTable != want {
			t.Errorf("DYNAMODB_TABLE=%q: ResultsTable = %q, want %q", value, cfg.ResultsTable, want)
		}
	}
}

func TestLoadDynamoDBReportsMisspeltTable(t *testing.T) {
	warns(t, []Unknown{
		{"DYNAMODB_TABEL", "DYNAMODB_TABLE"},
	})
}

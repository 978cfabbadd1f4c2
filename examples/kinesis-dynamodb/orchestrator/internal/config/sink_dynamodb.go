package config

// Sink is the DynamoDB results sink's settings.
type Sink struct {
	// ResultsTable is the DynamoDB table the results are stored in, one item per request id.
	ResultsTable string
}

func loadSink(p *parser) Sink { return Sink{ResultsTable: p.value("DYNAMODB_TABLE")} }

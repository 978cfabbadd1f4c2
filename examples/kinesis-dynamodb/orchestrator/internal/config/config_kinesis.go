package config

import "time"

// Ingress is the Kinesis consumer's own settings.
type Ingress struct {
	// StreamName is the Kinesis stream the requests arrive on.
	StreamName string
	// LeaseTable is the DynamoDB table of shard leases (in the KCL's shape), which share the
	// stream's shards among the orchestrator's replicas and keep each shard's checkpoint.
	LeaseTable string
	// LeaseDuration is how long a replica that stops renewing keeps its leases before the
	// others take them over.
	LeaseDuration time.Duration
	// MaxAttempts bounds the failures in a row of one shard before its lease is given up.
	MaxAttempts int
	// DeadLetterTable keeps the records that cannot be handled, with their payload.
	DeadLetterTable string
	// DeadLetterRetention is how long a dead letter is kept before DynamoDB's TTL deletes it.
	DeadLetterRetention time.Duration
	// InitialPosition is where a shard without a checkpoint is first read: TRIM_HORIZON or
	// LATEST.
	InitialPosition string
}

func loadIngress(p *parser, _ Config) Ingress {
	in := Ingress{
		StreamName:    p.value("KINESIS_STREAM_NAME"),
		LeaseTable:    p.value("LEASE_TABLE"),
		LeaseDuration: p.duration("LEASE_DURATION"),
	}
	if in.LeaseDuration > 0 && in.LeaseDuration < time.Second {
		// Leases are renewed every third of it; under a second, one slow write loses them.
		p.fail("LEASE_DURATION", in.LeaseDuration.String(), "want at least 1s, e.g. 10s")
	}
	in.MaxAttempts = p.count("KINESIS_MAX_ATTEMPTS")
	in.DeadLetterTable = p.value("DEAD_LETTER_TABLE")
	if in.DeadLetterRetention = p.duration("DEAD_LETTER_RETENTION"); in.DeadLetterRetention > 0 && in.DeadLetterRetention < time.Second {
		// expires_at is in whole seconds.
		p.fail("DEAD_LETTER_RETENTION", in.DeadLetterRetention.String(), "want at least 1s, e.g. 336h")
	}
	switch in.InitialPosition = p.value("KINESIS_INITIAL_POSITION"); in.InitialPosition {
	case "TRIM_HORIZON", "LATEST":
	default:
		p.fail("KINESIS_INITIAL_POSITION", in.InitialPosition, "want TRIM_HORIZON or LATEST")
	}
	return in
}

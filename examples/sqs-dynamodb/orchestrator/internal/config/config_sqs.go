package config

import "time"

// Ingress is the SQS consumer's own settings.
type Ingress struct {
	// QueueName is the SQS queue the requests arrive on; bootstrap creates it with a
	// dead-letter queue (sqsconsumer.DeadLetterQueueName).
	QueueName string
	// VisibilityTimeout is how long a received message stays hidden from other consumers
	// (extended while it is being handled), and the queue's default that bootstrap sets.
	VisibilityTimeout time.Duration
	// Concurrency is how many receive-and-handle loops run at once, each on one receive's batch.
	Concurrency int
}

func loadIngress(p *parser, _ Config) Ingress {
	// The name rule refuses a FIFO queue's .fifo: handling is concurrent and dead-letter copies
	// carry no MessageGroupId, so FIFO order and deduplication would silently not hold.
	in := Ingress{QueueName: p.value("SQS_QUEUE_NAME")}
	in.VisibilityTimeout = p.seconds("SQS_VISIBILITY_TIMEOUT")
	in.Concurrency = p.count("CONCURRENCY")
	return in
}

// seconds takes whole seconds, as SQS does, up to its 12-hour limit.
func (p *parser) seconds(key string) time.Duration {
	v := p.value(key)
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second || d > 12*time.Hour || d%time.Second != 0 {
		p.fail(key, v, "want whole seconds from 1s to 12h, e.g. 30s")
		return 0
	}
	return d
}

package sqsconsumer

// The dead-letter queue as `make bootstrap` creates it. The consumer itself reads its
// dead-letter queue from the redrive policy, whatever its name; bootstrap names it, and
// verify finds it, by DeadLetterQueueName. Both values are rendered from
// create-hybrid-backend's dead-letters.ts, whose suffix the SQS_QUEUE_NAME rule leaves room for.
const (
	// DeadLetterQueueSuffix is what bootstrap adds to the queue's name.
	DeadLetterQueueSuffix = "-dlq"
	// MaxReceiveCount is how many receives a message gets before the redrive policy moves
	// it to the dead-letter queue: enough to ride out a worker restart, few enough to
	// surface a real fault.
	MaxReceiveCount = 5
)

// DeadLetterQueueName is the name bootstrap gives queue's dead-letter queue.
func DeadLetterQueueName(queue string) string { return queue + DeadLetterQueueSuffix }

import { DEAD_LETTER_QUEUE_SUFFIX } from "../project-names.js";

/**
 * The SQS preset's dead-letter queue as `make bootstrap` makes it. The Go
 * code (sqsconsumer/deadletter_queue.go, which bootstrap and verify call),
 * the README and the SQS_QUEUE_NAME rule all take these from here, so the
 * name rule's room for the suffix is the suffix bootstrap adds.
 */
export const SQS_DEAD_LETTER = {
  /** What bootstrap adds to the queue's name for its dead-letter queue's. */
  suffix: DEAD_LETTER_QUEUE_SUFFIX,
  /** Receives before the redrive policy moves a message there: rides out a worker restart, surfaces a real fault. */
  maxReceiveCount: 5,
} as const;

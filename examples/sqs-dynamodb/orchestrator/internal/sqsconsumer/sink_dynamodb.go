package sqsconsumer

import "time"

// SinkAttemptTimeout bounds each HTTP attempt of the results table's calls, which wait for
// nothing, unlike the queue's receives (deadline.go).
func SinkAttemptTimeout(cfg Config) time.Duration { return cfg.withDefaults().AnswerTimeout }

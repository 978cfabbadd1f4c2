package pipeline

import (
	"context"
	"time"
)

// Shutdown holds the two contexts a consumer's shutdown runs on, both outliving the context
// the consumer was run with. Work (scoring, storing) goes on after SIGTERM so that a batch
// scored a moment earlier is not thrown away; Tidy (deletes, visibility or lease releases)
// goes on past the cut by a grace, so that the work cut off is handed back rather than left
// for a timeout to return.
type Shutdown struct {
	Work, Tidy context.Context
	endWork    context.CancelFunc
	endTidy    context.CancelFunc
	tidyGrace  time.Duration
}

// NewShutdown derives Work and Tidy from ctx's values. A zero tidyGrace ends Tidy with Work.
// Call Close when the consumer returns.
func NewShutdown(ctx context.Context, tidyGrace time.Duration) *Shutdown {
	s := &Shutdown{tidyGrace: tidyGrace}
	s.Work, s.endWork = context.WithCancel(context.WithoutCancel(ctx))
	s.Tidy, s.endTidy = context.WithCancel(context.WithoutCancel(ctx))
	return s
}

// Cut ends Work now and Tidy once the grace has passed: Drain's cutOff.
func (s *Shutdown) Cut() {
	s.endWork()
	time.AfterFunc(s.tidyGrace, s.endTidy)
}

// Close ends both contexts.
func (s *Shutdown) Close() {
	s.endWork()
	s.endTidy()
}

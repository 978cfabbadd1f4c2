package pipeline

import (
	"sync"
	"time"
)

// Drain waits for wg. If that takes longer than timeout, it calls cutOff, which must make the
// waited-on work give up, and waits on. It reports whether the work had to be cut off.
func Drain(wg *sync.WaitGroup, timeout time.Duration, cutOff func()) (cut bool) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
		return false
	case <-timer.C:
		cutOff()
		<-done
		return true
	}
}

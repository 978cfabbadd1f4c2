package pipeline

import (
	"crypto/rand"
	"sync"
)

// maxUnsettled bounds the write ids writeIDs keeps. A write that never settled here whose
// message went to another consumer is never written here again; forgetting one costs only its
// count, which lands in StoredBefore rather than Processed if it had landed.
const maxUnsettled = 1 << 16

// writeIDs names each write of a result (results.Entry.WriteID), so that a sink finding the id
// stored can tell this write's own result, applied by a try whose answer was lost, from an
// earlier delivery's. Counting the former as stored before would leave it counted nowhere: the
// try that stored it never learnt so.
//
// The name is random, kept for the write's every try until it settles: the store's retries,
// the consumer's retries in place after an outage, and a redelivery to this process of a
// message whose write never settled here, all of which are the same write as far as the counts
// go, for none of them counted it. Nothing of the message would do: SQS redelivers a message
// with its MessageId, and Kinesis a record with its sequence number, so a redelivery of a result
// stored and counted already would count it again, while a receipt handle changes with every
// receive, which the retries in place span.
type writeIDs struct {
	mu        sync.Mutex
	unsettled map[string]string // request id → the id of a write of its result that did not settle
}

// claim returns the write id for a write of id's result: that of an earlier write of it that
// never settled, or a new one. Claiming takes it, so two writes in flight at once (the same
// request delivered twice) never share one, and no result is counted stored twice.
func (w *writeIDs) claim(id string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if wid, ok := w.unsettled[id]; ok {
		delete(w.unsettled, id)
		return wid
	}
	return rand.Text()
}

// keep holds wid, the id of a write of id's result that ended unsettled (it may have landed
// unseen), for the next write of it.
func (w *writeIDs) keep(id, wid string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.unsettled == nil {
		w.unsettled = map[string]string{}
	}
	if len(w.unsettled) >= maxUnsettled {
		for forget := range w.unsettled {
			delete(w.unsettled, forget)
			break
		}
	}
	w.unsettled[id] = wid
}

package httpapi

import (
	"errors"
	"io"
	"sync/atomic"
)

// heldBodiesPerBudget is how many in-flight budgets (Config.MaxInFlightBytes) of request body
// bytes the API may hold in memory at once, bodies still arriving included. The budget alone
// charges a body once it is read, so it bounds decoding, not memory: bodies up to
// MAX_BODY_BYTES (tens of MiB by default) arriving together were all held, and twenty
// chunked 8 MiB uploads grew the heap by 345 MiB on a 2 MiB budget. Four budgets leave
// three for bodies on the way while the budget's worth is decoded.
const heldBodiesPerBudget = 4

// errHeldFull is a body refused as it arrived: the bodies held already fill heldBodiesPerBudget.
var errHeldFull = errors.New("request bodies held in memory are at their bound")

// heldBodies counts the body bytes the API holds in memory.
type heldBodies struct {
	bytes atomic.Int64
	bound int64
}

// hold wraps body so that each byte read counts until the returned release. A read past the
// bound fails with errHeldFull unless this body is all that is held, so that any valid body
// still arrives on an otherwise idle orchestrator, as the in-flight budget admits it.
func (h *heldBodies) hold(body io.ReadCloser) (io.ReadCloser, func()) {
	b := &heldBody{ReadCloser: body, held: h}
	return b, func() { h.bytes.Add(-b.n) }
}

type heldBody struct {
	io.ReadCloser
	held *heldBodies
	n    int64 // bytes of this body read so far
}

func (b *heldBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	if k > 0 {
		b.n += int64(k)
		if total := b.held.bytes.Add(int64(k)); total > b.held.bound && total != b.n {
			return k, errHeldFull
		}
	}
	return k, err
}

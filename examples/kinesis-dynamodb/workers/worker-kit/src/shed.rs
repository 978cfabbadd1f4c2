//! Load shedding at the transport, before a call's message is decoded.
//!
//! Decoding a full batch costs several times what scoring it does (1,000
//! items: ~13 ms to decode, ~2 ms to score), and tonic decodes on a runtime
//! thread before the service runs. A limit checked only in the service lets
//! an overloaded worker spend its CPU decoding calls it will then refuse,
//! while accepted calls wait behind them until their deadlines pass. So
//! admission happens in two stages on one budget of `MAX_IN_FLIGHT` permits:
//!
//! 1. [`Shed`], in front of the scoring service, reads only the 5-byte gRPC
//!    message prefix, charges one permit per [`BYTES_PER_PERMIT`] of the
//!    encoded message (bytes are what decoding costs, and the only size known
//!    before decoding), and answers `RESOURCE_EXHAUSTED` at once if the
//!    limit lacks them (with the limit reached, on the call's headers alone,
//!    before any of its data arrives). The message is never decoded.
//! 2. The service, once it knows the item count, trues the charge up or down
//!    to one permit per [`ITEMS_PER_PERMIT`] items ([`Admission::settle`]),
//!    the cost of scoring, and holds the [`Lease`] until the scoring ends.
//!
//! How many permits may be in use at once is not the whole budget but an
//! adaptive limit within it ([`limit`]), lowered while calls take longer
//! than unloaded ones did: a fixed budget lets every admitted call queue.
//! A charge is at least one permit and at most the whole budget, and an idle
//! worker admits any call, so any valid call can run on an idle worker.
//!
//! Our own layer rather than tower's `ConcurrencyLimit` + `LoadShed` (what
//! tonic's `Server::load_shed` wires): those count calls, not their weight,
//! and cannot hand a permit on to the service to be trued up after decoding.

use std::{
    convert::Infallible,
    sync::Arc,
    task::{Context, Poll},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{
    Status,
    body::Body,
    codegen::{BoxFuture, Service, http},
    server::NamedService,
};

use crate::{limits::MAX_REQUEST_BYTES, metrics};
pub use lease::{Admitted, Lease};
use limit::Limit;
use prefix::{Replay, message_len, read_prefix};

mod lease;
pub mod limit;
mod prefix;

/// Encoded bytes charged one permit before decoding: about what
/// [`ITEMS_PER_PERMIT`] typical requests take on the wire (~250 bytes each),
/// so the charge before decoding and the one after roughly agree.
pub const BYTES_PER_PERMIT: usize = 16 * 1024;

/// Batch items charged one permit after decoding. A `Score` call or a batch
/// of up to this many items takes one permit, as every call did before
/// permits were weighted; a full batch of 1,000 takes 16.
pub const ITEMS_PER_PERMIT: usize = 64;

/// HTTP/2 streams (calls) one connection may have open at once: bounds what
/// one client can make the worker buffer; beyond it the client queues the
/// call itself. Far above what one orchestrator connection needs.
pub const MAX_CONCURRENT_STREAMS: u32 = 256;

/// Bytes one typical request takes on the wire, as [`BYTES_PER_PERMIT`]
/// assumes: 256.
const TYPICAL_REQUEST_BYTES: usize = BYTES_PER_PERMIT / ITEMS_PER_PERMIT;

/// HTTP/2 flow-control window of one call (stream): what a client may send
/// of a message before the worker has read any of it. About a full batch of
/// typical requests (the contract's maximum items), so the orchestrator's
/// calls rarely wait for a window update; a larger message takes several
/// windows.
///
/// Why not hyper's default of 1 MiB: a refused call's bytes past its prefix
/// still cross the connection and the worker reads and drops them, so the
/// window is what each refusal costs. In `make bench`'s burst row (200
/// clients × 3 batches of 1,000 items × 64 features, 1.48 MB each), with
/// the default the worker took a mean of 5.0–11.1 ms per refusal by its own
/// clock, scored calls 190–438 ms at p50, and the burst lasted 580–722 ms;
/// with this window 0.01–0.22 ms, 29–57 ms and 398–423 ms (3 runs each,
/// alternated, on 2 cores). Such a batch sent alone waits for a few window
/// updates: p50 of 60 calls, 21.0–24.7 ms before and 20.3–23.6 ms after in
/// 3 pairs, though 0.6–7 ms more in 4 earlier pairs, so within the noise of
/// a shared machine. 64 KiB, HTTP/2's own default, cut refusals as much but
/// cost that batch 4–10 ms in every pair.
pub const STREAM_WINDOW_BYTES: u32 = {
    let bytes =
        crate::limits::SCORE_BATCH_REQUEST_REQUESTS_REPEATED_MAX_ITEMS * TYPICAL_REQUEST_BYTES;
    // Within HTTP/2's bounds (RFC 9113, 6.9.1 and 6.9.2) whatever the
    // contract's limit: no smaller than its default, no larger than its most.
    if bytes < 65_535 {
        65_535
    } else if bytes > (1 << 31) - 1 {
        (1 << 31) - 1
    } else {
        bytes as u32
    }
};

/// Largest message decoded on the runtime thread that received it: a
/// `Score` call or a small batch decodes in microseconds, less than a hop to
/// another thread costs.
pub const DECODE_INLINE_MAX_BYTES: usize = 16 * 1024;

/// The `MAX_IN_FLIGHT` budget, shared by both stages, and the adaptive
/// limit on how much of it may be in use now ([`limit`]).
#[derive(Debug, Clone)]
pub struct Admission {
    pub(crate) permits: Arc<Semaphore>,
    capacity: usize,
    limit: Arc<Limit>,
}

impl Admission {
    /// A budget of `max_in_flight` permits, whose adaptive limit never falls
    /// below [`limit::FLOOR_PER_POOL_THREAD`] per thread of the rayon pool.
    pub fn new(max_in_flight: usize) -> Self {
        let floor = limit::FLOOR_PER_POOL_THREAD * rayon::current_num_threads();
        metrics::set_admission_limit(max_in_flight);
        Self {
            permits: Arc::new(Semaphore::new(max_in_flight)),
            capacity: max_in_flight,
            limit: Arc::new(Limit::new(floor, max_in_flight)),
        }
    }

    /// Permits charged for an encoded message of `bytes`.
    pub fn for_bytes(&self, bytes: usize) -> usize {
        self.clamp(bytes.div_ceil(BYTES_PER_PERMIT))
    }

    /// Permits charged for a call of `items` requests.
    pub fn for_items(&self, items: usize) -> usize {
        self.clamp(items.div_ceil(ITEMS_PER_PERMIT))
    }

    fn clamp(&self, permits: usize) -> usize {
        permits.clamp(1, self.capacity.max(1))
    }

    /// Permits in use now.
    fn in_use(&self) -> usize {
        self.capacity - self.permits.available_permits()
    }

    /// Whether no call can be admitted now: every charge is at least one
    /// permit, so this is known before a call's size is.
    pub fn full(&self) -> bool {
        self.in_use() >= self.limit.current()
    }

    /// `permits` more, if the adaptive limit has room for them; an idle
    /// worker takes any call, so a call charged more than the limit still
    /// runs once the worker has nothing else to do.
    fn try_take(&self, permits: usize) -> Result<OwnedSemaphorePermit, Status> {
        let in_use = self.in_use();
        if in_use > 0 && in_use + permits > self.limit.current() {
            return Err(exhausted());
        }
        let permits = u32::try_from(permits).map_err(|_| exhausted())?;
        Arc::clone(&self.permits)
            .try_acquire_many_owned(permits)
            .map_err(|_| exhausted())
    }

    /// The lease for a decoded call of `items`: the one the transport
    /// granted (`held`) with its permits trued up or down, or a fresh one if
    /// there was none (the service called directly, as in unit tests).
    pub fn settle(&self, held: Option<Lease>, items: usize) -> Result<Lease, Status> {
        let need = self.for_items(items);
        let Some(mut held) = held else {
            return Ok(Lease::new(self.try_take(need)?, 0).with_items(items));
        };
        let have = held.permits();
        if have > need {
            held.release(have - need);
        } else if have < need {
            held.add(self.try_take(need - have)?);
        }
        Ok(held.with_items(items))
    }

    /// Ends `lease` once its call's scoring is done, teaching the adaptive
    /// limit how long the call took for its cost. Only calls scored on the
    /// pool report: those scored inline never queue, and their far smaller
    /// time per unit of cost would make every pooled call look slow.
    pub fn finish(&self, lease: Lease) {
        self.limit.observe(lease.admitted().elapsed(), lease.cost());
        metrics::set_admission_limit(self.limit.current());
    }
}

/// The answer to a call the worker has no room for.
pub fn exhausted() -> Status {
    tracing::debug!("shedding load: in-flight limit reached");
    Status::resource_exhausted("scoring worker is at its in-flight limit; retry with backoff")
}

/// Wraps a gRPC service with the first stage of admission (see the module
/// docs). It wraps the one service rather than the whole server so health
/// checks and reflection are never shed.
#[derive(Debug, Clone)]
pub struct Shed<S> {
    inner: S,
    admission: Admission,
}

impl<S> Shed<S> {
    pub fn new(inner: S, admission: Admission) -> Self {
        Self { inner, admission }
    }
}

impl<S: NamedService> NamedService for Shed<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> Service<http::Request<Body>> for Shed<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The instance polled ready serves this call; a clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let admission = self.admission.clone();
        // Every charge is at least one permit, so with none free the answer is
        // known from the headers alone. Waiting for the message prefix first
        // made a refusal wait for the call's first data frame, which on a
        // connection busy with other calls' data can come tens of ms later.
        if admission.full() {
            return Box::pin(std::future::ready(Ok(exhausted().into_http())));
        }
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let (head, rest) = read_prefix(body).await;
            let bytes = message_len(&head).unwrap_or(0);
            let body = Body::new(Replay { head, rest });
            if bytes > MAX_REQUEST_BYTES {
                // Never decoded: tonic refuses it from this prefix (OUT_OF_RANGE,
                // "message length too large"), so it costs no permit. Charged,
                // it was refused as load while any call ran, which told its
                // client to retry a call that can never pass.
                return inner.call(http::Request::from_parts(parts, body)).await;
            }
            let lease = match admission.try_take(admission.for_bytes(bytes)) {
                Ok(permit) => Lease::new(permit, bytes),
                Err(status) => return Ok(status.into_http()),
            };
            let mut request = http::Request::from_parts(parts, body);
            request.extensions_mut().insert(Admitted::new(lease));
            if bytes <= DECODE_INLINE_MAX_BYTES {
                return inner.call(request).await;
            }
            // Decoding a big message takes milliseconds (~13 ms for 1,000
            // items), and on a runtime thread it would stall every other
            // call's I/O, refusals included, which then wait for a decode to
            // end. So the call runs on a blocking-pool thread; admission
            // bounds how many do at once.
            // Admitted work, so it runs below the runtime threads, on a pool
            // of its own (priority.rs).
            // Dropping this future (the client cancelled, or tonic ended the
            // call at its deadline) drops `_caller`, which ends the call on
            // the blocking thread too: its decoding and scoring stop and its
            // permits come back, rather than serving nobody at full cost.
            let (_caller, hung_up) = tokio::sync::oneshot::channel::<()>();
            let runtime = tokio::runtime::Handle::current();
            crate::priority::spawn_admitted(move || {
                runtime.block_on(async move {
                    tokio::select! {
                        response = inner.call(request) => response,
                        _ = hung_up => Ok(Status::cancelled("the caller went away").into_http()),
                    }
                })
            })
            .await
            .unwrap_or_else(|_| Ok(Status::internal("scoring failed unexpectedly").into_http()))
        })
    }
}

#[cfg(test)]
mod tests;

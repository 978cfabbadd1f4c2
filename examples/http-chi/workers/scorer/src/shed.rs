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
//!    before decoding), and answers `RESOURCE_EXHAUSTED` at once if the budget
//!    lacks them (with no permit free, on the call's headers alone, before
//!    any of its data arrives). The message is never decoded.
//! 2. The service, once it knows the item count, trues the charge up or down
//!    to one permit per [`ITEMS_PER_PERMIT`] items ([`Admission::settle`]),
//!    the cost of scoring, and holds it until the scoring work ends.
//!
//! A charge is at least one permit and at most the whole budget, so any
//! valid call can run on an idle worker. Our own layer rather than tower's
//! `ConcurrencyLimit` + `LoadShed` (what tonic's `Server::load_shed` wires):
//! those count calls, not their weight, and cannot hand a permit on to the
//! service to be trued up after decoding.

use std::{
    collections::VecDeque,
    convert::Infallible,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use http_body::{Body as _, Frame, SizeHint};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{
    Status,
    body::Body,
    codegen::{BoxFuture, Bytes, Service, http},
    server::NamedService,
};

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

/// Length of the gRPC message prefix: compressed flag, then a big-endian
/// u32 length.
const GRPC_PREFIX: usize = 5;

/// The `MAX_IN_FLIGHT` budget, shared by both stages.
#[derive(Debug, Clone)]
pub struct Admission {
    pub(crate) permits: Arc<Semaphore>,
    capacity: usize,
}

impl Admission {
    pub fn new(max_in_flight: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_in_flight)),
            capacity: max_in_flight,
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

    fn try_take(&self, permits: usize) -> Result<OwnedSemaphorePermit, Status> {
        let permits = u32::try_from(permits).map_err(|_| exhausted())?;
        Arc::clone(&self.permits)
            .try_acquire_many_owned(permits)
            .map_err(|_| exhausted())
    }

    /// The permits for a decoded call of `items`: what the transport charged
    /// (`held`), trued up or down, or a fresh charge if nothing was charged
    /// (the service called directly, as in unit tests).
    pub fn settle(
        &self,
        held: Option<OwnedSemaphorePermit>,
        items: usize,
    ) -> Result<OwnedSemaphorePermit, Status> {
        let need = self.for_items(items);
        let Some(mut held) = held else {
            return self.try_take(need);
        };
        let have = held.num_permits();
        if have > need {
            drop(held.split(have - need));
        } else if have < need {
            held.merge(self.try_take(need - have)?);
        }
        Ok(held)
    }
}

/// The answer to a call the worker has no room for.
pub fn exhausted() -> Status {
    tracing::debug!("shedding load: in-flight limit reached");
    Status::resource_exhausted("scoring worker is at its in-flight limit; retry with backoff")
}

/// The permits the transport charged a call, handed to the service in the
/// request's extensions (which need `Clone`, hence the shared slot).
#[derive(Debug, Clone)]
pub struct Admitted(Arc<Mutex<Option<OwnedSemaphorePermit>>>);

impl Admitted {
    pub fn from_permit(permit: OwnedSemaphorePermit) -> Self {
        Self(Arc::new(Mutex::new(Some(permit))))
    }

    /// Takes the permits; `None` if they were already taken.
    pub fn take(&self) -> Option<OwnedSemaphorePermit> {
        self.0.lock().ok()?.take()
    }
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
        if admission.permits.available_permits() == 0 {
            return Box::pin(std::future::ready(Ok(exhausted().into_http())));
        }
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let (head, rest) = read_prefix(body).await;
            let bytes = message_len(&head).unwrap_or(0);
            let permit = match admission.try_take(admission.for_bytes(bytes)) {
                Ok(permit) => permit,
                Err(status) => return Ok(status.into_http()),
            };
            let body = Body::new(Replay { head, rest });
            let mut request = http::Request::from_parts(parts, body);
            request
                .extensions_mut()
                .insert(Admitted::from_permit(permit));
            if bytes <= DECODE_INLINE_MAX_BYTES {
                return inner.call(request).await;
            }
            // Decoding a big message takes milliseconds (~13 ms for 1,000
            // items), and on a runtime thread it would stall every other
            // call's I/O, refusals included, which then wait for a decode to
            // end. So the call runs on a blocking-pool thread; admission
            // bounds how many do at once.
            // Admitted work, so it runs below the runtime threads (priority.rs).
            let runtime = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || {
                crate::priority::lower_current_thread_or_warn();
                runtime.block_on(inner.call(request))
            })
            .await
            .unwrap_or_else(|_| Ok(Status::internal("scoring failed unexpectedly").into_http()))
        })
    }
}

type Item = Result<Frame<Bytes>, Status>;

/// Reads frames until the gRPC prefix is in or the body ends.
async fn read_prefix(mut body: Body) -> (VecDeque<Item>, Body) {
    let mut head = VecDeque::new();
    let mut seen = 0;
    while seen < GRPC_PREFIX {
        let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await else {
            break;
        };
        let more = match &item {
            Ok(frame) => frame.data_ref().map(|data| seen += data.len()).is_some(),
            Err(_) => false,
        };
        head.push_back(item);
        if !more {
            break;
        }
    }
    (head, body)
}

/// The message length in the gRPC prefix at the start of `head`.
fn message_len(head: &VecDeque<Item>) -> Option<usize> {
    let mut prefix = Vec::with_capacity(GRPC_PREFIX);
    for data in head
        .iter()
        .filter_map(|item| item.as_ref().ok()?.data_ref())
    {
        prefix.extend(data.iter().take(GRPC_PREFIX - prefix.len()));
    }
    let length: [u8; 4] = prefix.get(1..GRPC_PREFIX)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(length)).ok()
}

/// The frames read for the prefix, then the rest of the body.
struct Replay {
    head: VecDeque<Item>,
    rest: Body,
}

impl http_body::Body for Replay {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        if let Some(item) = self.head.pop_front() {
            return Poll::Ready(Some(item));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_empty() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        if self.head.is_empty() {
            self.rest.size_hint()
        } else {
            SizeHint::default()
        }
    }
}

#[cfg(test)]
mod tests;

use std::time::Duration;

use std::{collections::VecDeque, pin::Pin};

use http_body::Frame;
use tonic::codegen::Bytes;

use super::prefix::{Item, message_len};
use super::*;

#[test]
fn charges_are_at_least_one_permit_and_at_most_the_budget() {
    let admission = Admission::new(10);
    assert_eq!(admission.for_bytes(0), 1);
    assert_eq!(admission.for_bytes(BYTES_PER_PERMIT), 1);
    assert_eq!(admission.for_bytes(BYTES_PER_PERMIT + 1), 2);
    assert_eq!(admission.for_bytes(usize::MAX), 10);
    assert_eq!(admission.for_items(1), 1);
    assert_eq!(admission.for_items(ITEMS_PER_PERMIT), 1);
    assert_eq!(admission.for_items(1000), 10);
    assert_eq!(Admission::new(100).for_items(1000), 16);
}

#[test]
fn settling_trues_the_charge_up_or_down() {
    let admission = Admission::new(20);
    // Charged 5 by bytes, needs 2 by items: 3 go back.
    let held = Lease::new(admission.try_take(5).unwrap(), 0);
    let settled = admission.settle(Some(held), 2 * ITEMS_PER_PERMIT).unwrap();
    assert_eq!(settled.permits(), 2);
    assert_eq!(admission.permits.available_permits(), 18);
    // Charged 1, needs 16: takes 15 more.
    let held = Lease::new(admission.try_take(1).unwrap(), 0);
    let settled_up = admission.settle(Some(held), 1000).unwrap();
    assert_eq!(settled_up.permits(), 16);
    assert_eq!(admission.permits.available_permits(), 2);
    // Not enough left: refused, and what was held goes back.
    let held = Lease::new(admission.try_take(1).unwrap(), 0);
    let status = admission.settle(Some(held), 1000).unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(admission.permits.available_permits(), 2);
    drop((settled, settled_up));
    assert_eq!(admission.permits.available_permits(), 20);
}

#[test]
fn a_lowered_limit_refuses_before_the_budget_runs_out_but_an_idle_worker_admits_any_call() {
    let admission = Admission::new(64);
    // Calls that took 100× the first one's time per permit pull the limit
    // down to its floor.
    admission.limit.observe(Duration::from_micros(10), 1.0);
    for _ in 0..500 {
        admission.limit.observe(Duration::from_millis(1), 1.0);
    }
    let floor = admission.limit.current();
    assert!(floor < 64, "the limit stayed at {floor}");
    assert!(!admission.full());
    // Idle: a call charged the whole budget still runs.
    let whole = admission.try_take(64).unwrap();
    assert!(admission.full());
    drop(whole);
    // Busy: up to the limit, then refused though permits are free.
    let held = admission.try_take(floor).unwrap();
    assert!(admission.full());
    let status = admission.try_take(1).unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(admission.permits.available_permits(), 64 - floor);
    drop(held);
}

#[test]
fn a_lease_costs_its_bytes_or_its_items_whichever_is_more_and_at_least_one_permit() {
    let admission = Admission::new(64);
    let lease = |bytes, items| Lease::new(admission.try_take(1).unwrap(), bytes).with_items(items);
    assert_eq!(lease(0, 0).cost(), 1.0);
    assert_eq!(
        lease(BYTES_PER_PERMIT / 2, 2 * ITEMS_PER_PERMIT).cost(),
        2.0
    );
    assert_eq!(lease(3 * BYTES_PER_PERMIT, ITEMS_PER_PERMIT).cost(), 3.0);
    assert_eq!(lease(0, ITEMS_PER_PERMIT * 5 / 2).cost(), 2.5);
}

#[test]
fn finishing_a_lease_returns_its_permits_and_reports_its_time() {
    let admission = Admission::new(8);
    let lease = admission.settle(None, 3 * ITEMS_PER_PERMIT).unwrap();
    assert_eq!(lease.permits(), 3);
    admission.finish(lease);
    assert_eq!(admission.permits.available_permits(), 8);
}

#[test]
fn the_message_length_is_read_from_the_prefix_across_frames() {
    let data = |bytes: &[u8]| Ok(Frame::data(Bytes::copy_from_slice(bytes)));
    let head: VecDeque<Item> = [data(&[0, 0, 1]), data(&[2, 3, 9, 9])].into();
    assert_eq!(message_len(&head), Some(0x0001_0203));
    let short: VecDeque<Item> = [data(&[0, 0])].into();
    assert_eq!(message_len(&short), None);
}

/// A body whose bytes never come, as on a connection busy with other calls' data.
struct Stalled;

impl http_body::Body for Stalled {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        Poll::Pending
    }
}

/// The scoring service a refused call must never reach.
#[derive(Clone)]
struct NeverCalled;

impl Service<http::Request<Body>> for NeverCalled {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<Body>) -> Self::Future {
        unreachable!("a call the worker has no room for reached the service")
    }
}

#[tokio::test]
async fn with_no_permit_free_a_call_is_refused_on_its_headers() {
    let admission = Admission::new(2);
    let held = admission.try_take(2).unwrap();
    let mut shed = Shed::new(NeverCalled, admission.clone());
    let request = http::Request::new(Body::new(Stalled));
    let response = tokio::time::timeout(Duration::from_secs(5), shed.call(request))
        .await
        .expect("refused without waiting for the message")
        .unwrap();
    let status = Status::from_header_map(response.headers()).expect("a gRPC status");
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    drop(held);
    assert_eq!(admission.permits.available_permits(), 2);
}

/// A body with a message prefix announcing `len` bytes, which then never come.
struct PrefixThenStall(Option<Bytes>);

impl PrefixThenStall {
    fn new(len: u32) -> Self {
        let mut prefix = vec![0];
        prefix.extend(len.to_be_bytes());
        Self(Some(Bytes::from(prefix)))
    }
}

impl http_body::Body for PrefixThenStall {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        match self.0.take() {
            Some(prefix) => Poll::Ready(Some(Ok(Frame::data(prefix)))),
            None => Poll::Pending,
        }
    }
}

/// A message over the decoding limit is refused as tonic refuses it, whatever
/// the load: charged, it was refused as load ("retry with backoff") while any
/// call ran, and a client that retries on RESOURCE_EXHAUSTED never stopped.
#[tokio::test]
async fn a_message_over_the_decoding_limit_is_too_large_not_load_under_load_too() {
    let model = Arc::new(crate::fixture_model());
    let mut shed = crate::service::ScoringService::new(model, 64).into_shedding_server();
    let _busy = shed.admission.try_take(1).unwrap();
    let len = u32::try_from(crate::limits::MAX_REQUEST_BYTES + 1).unwrap();
    let path = format!("/{}/ScoreBatch", crate::server::SCORING_SERVICE_NAME);
    let request = http::Request::builder().uri(path);
    let request = request.body(Body::new(PrefixThenStall::new(len))).unwrap();
    let response = tokio::time::timeout(Duration::from_secs(5), shed.call(request))
        .await
        .expect("answered from the prefix")
        .unwrap();
    let status = Status::from_header_map(response.headers()).expect("a gRPC status");
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status:?}");
    let message = status.message();
    assert!(message.contains("message length too large"), "{message}");
}

/// A service whose calls take `Slow::TAKES` and say when they are dropped.
#[derive(Clone)]
struct Slow(Arc<std::sync::atomic::AtomicBool>);

impl Slow {
    const TAKES: Duration = Duration::from_secs(10);
}

struct SetOnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Service<http::Request<Body>> for Slow {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<Body>) -> Self::Future {
        let dropped = SetOnDrop(Arc::clone(&self.0));
        Box::pin(async move {
            tokio::time::sleep(Self::TAKES).await;
            drop(dropped);
            Ok(http::Response::new(Body::empty()))
        })
    }
}

#[tokio::test]
async fn a_big_call_dropped_by_its_caller_stops_and_frees_its_permits() {
    let admission = Admission::new(64);
    let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut shed = Shed::new(Slow(Arc::clone(&dropped)), admission.clone());
    // Big enough to be decoded (and scored) off the runtime threads.
    let len = u32::try_from(DECODE_INLINE_MAX_BYTES + 1).unwrap();
    let request = http::Request::new(Body::new(PrefixThenStall::new(len)));
    // What tonic does when the client cancels or the call's deadline passes.
    let gone = tokio::time::timeout(Duration::from_millis(200), shed.call(request)).await;
    assert!(gone.is_err(), "the slow call ended early");
    let deadline = tokio::time::Instant::now() + Slow::TAKES / 3;
    while !dropped.load(std::sync::atomic::Ordering::SeqCst)
        || admission.permits.available_permits() < 64
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dropped call kept running on its blocking thread"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A service that answers with the nice value of the thread it runs on.
#[cfg(target_os = "linux")]
#[derive(Clone)]
struct Nice(Arc<std::sync::Mutex<Option<i32>>>);

#[cfg(target_os = "linux")]
fn thread_nice() -> i32 {
    rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
}

#[cfg(target_os = "linux")]
impl Service<http::Request<Body>> for Nice {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<Body>) -> Self::Future {
        *self.0.lock().unwrap() = Some(thread_nice());
        std::future::ready(Ok(http::Response::new(Body::empty())))
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_big_call_runs_lowered_and_leaves_the_runtimes_blocking_threads_as_they_were() {
    let before = thread_nice();
    let seen = Arc::new(std::sync::Mutex::new(None));
    let mut shed = Shed::new(Nice(Arc::clone(&seen)), Admission::new(64));
    let len = u32::try_from(DECODE_INLINE_MAX_BYTES + 1).unwrap();
    let request = http::Request::new(Body::new(PrefixThenStall::new(len)));
    shed.call(request).await.unwrap();
    let admitted = seen.lock().unwrap().take();
    let lowered = crate::priority::ADMITTED_WORK_NICE.max(before);
    assert_eq!(admitted, Some(lowered), "the big call's priority");
    // Tokio reuses an idle blocking thread, here the only one it has.
    let blocking = tokio::task::spawn_blocking(thread_nice).await.unwrap();
    assert_eq!(blocking, before, "a later blocking task's priority");
}

use std::time::Duration;

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
    let held = admission.try_take(5).unwrap();
    let settled = admission.settle(Some(held), 2 * ITEMS_PER_PERMIT).unwrap();
    assert_eq!(settled.num_permits(), 2);
    assert_eq!(admission.permits.available_permits(), 18);
    // Charged 1, needs 16: takes 15 more.
    let held = admission.try_take(1).unwrap();
    let settled_up = admission.settle(Some(held), 1000).unwrap();
    assert_eq!(settled_up.num_permits(), 16);
    assert_eq!(admission.permits.available_permits(), 2);
    // Not enough left: refused, and what was held goes back.
    let held = admission.try_take(1).unwrap();
    let status = admission.settle(Some(held), 1000).unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(admission.permits.available_permits(), 2);
    drop((settled, settled_up));
    assert_eq!(admission.permits.available_permits(), 20);
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

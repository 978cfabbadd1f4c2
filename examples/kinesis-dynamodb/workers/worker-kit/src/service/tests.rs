use std::collections::HashMap;

use tonic::Code;

use super::*;
use crate::pb::scoring_service_server::ScoringService as _;

fn service(max_in_flight: usize) -> ScoringService {
    ScoringService::new(Arc::new(crate::fixture_model()), max_in_flight)
}

fn permit(service: &ScoringService) -> Lease {
    service.admission.settle(None, 1).unwrap()
}

fn request(id: &str) -> ScoreRequest {
    ScoreRequest {
        id: id.to_owned(),
        numeric_features: HashMap::from([("amount".to_owned(), 42.0)]),
        categorical_features: HashMap::new(),
    }
}

fn batch(n: usize) -> ScoreBatchRequest {
    ScoreBatchRequest {
        requests: (0..n).map(|i| request(&format!("r{i}"))).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn scores_a_single_request() {
    let response = service(4).score(Request::new(request("a"))).await.unwrap();
    let response = response.into_inner();
    assert_eq!(response.id, "a");
    assert!((0.0..=1.0).contains(&response.score));
    assert!(!response.model_version.is_empty());
}

#[tokio::test]
async fn big_batches_score_off_the_runtime() {
    // The job a big batch becomes runs on a rayon thread...
    let service = service(4);
    let on_pool = service
        .offload(permit(&service), |_| {
            (rayon::current_thread_index().is_some(), ())
        })
        .await
        .unwrap();
    assert!(on_pool);
    // ...and holds a permit until done, which inline scoring never waits for.
    let permits = Arc::clone(&service.admission.permits);
    let held = service
        .offload(permit(&service), move |_| (permits.available_permits(), ()))
        .await
        .unwrap();
    assert_eq!(held, 3);
}

#[tokio::test]
async fn batches_keep_request_order_inline_and_on_the_pool() {
    for n in [1, INLINE_MAX_ITEMS, INLINE_MAX_ITEMS + 1, 500] {
        let responses = service(4)
            .score_batch(Request::new(batch(n)))
            .await
            .unwrap()
            .into_inner()
            .responses;
        let ids: Vec<_> = responses.iter().map(|r| r.id.as_str()).collect();
        let expected: Vec<_> = (0..n).map(|i| format!("r{i}")).collect();
        assert_eq!(ids, expected, "{n} requests");
        // Identical requests, identical scores, wherever they were scored.
        assert!(responses.iter().all(|r| r.score == responses[0].score));
    }
}

#[tokio::test]
async fn sheds_load_beyond_the_limit() {
    let service = service(1);
    let busy = Arc::clone(&service.admission.permits)
        .try_acquire_owned()
        .unwrap();
    for call in [
        service.score(Request::new(request("a"))).await.map(drop),
        service.score_batch(Request::new(batch(2))).await.map(drop),
        service
            .score_batch(Request::new(batch(100)))
            .await
            .map(drop),
    ] {
        assert_eq!(call.unwrap_err().code(), Code::ResourceExhausted);
    }

    drop(busy);
    assert!(service.score(Request::new(request("a"))).await.is_ok());
    assert!(service.score_batch(Request::new(batch(100))).await.is_ok());
    // Every permit came back.
    assert_eq!(service.admission.permits.available_permits(), 1);
}

#[tokio::test]
async fn rejects_invalid_requests_before_queueing() {
    let service = service(1);
    let _busy = Arc::clone(&service.admission.permits)
        .try_acquire_owned()
        .unwrap();
    let status = service.score(Request::new(request(""))).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "id: must not be empty");

    let empty = ScoreBatchRequest::default();
    let status = service.score_batch(Request::new(empty)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn a_panicking_job_becomes_internal() {
    let service = service(1);
    let status = service
        .offload(permit(&service), |_| -> (u8, ()) { panic!("boom") })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal);
    let status = service
        .inline(permit(&service), |_| -> u8 { panic!("boom") })
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal);
    // The permits came back, so the next calls are served.
    assert!(service.score(Request::new(request("a"))).await.is_ok());
    assert!(service.score_batch(Request::new(batch(100))).await.is_ok());
}

#[tokio::test]
async fn the_transport_charge_is_trued_up_to_the_items() {
    let service = service(100);
    let permits = &service.admission.permits;
    // The transport charged 40 permits; a batch of 500 needs 8.
    let charged = Arc::clone(permits).try_acquire_many_owned(40).unwrap();
    let mut request = Request::new(batch(500));
    request
        .extensions_mut()
        .insert(Admitted::new(Lease::new(charged, 0)));
    assert!(service.score_batch(request).await.is_ok());
    assert_eq!(permits.available_permits(), 100);
    // Charged 1 while 95 are busy: the 8 it needs are not there.
    let _busy = Arc::clone(permits).try_acquire_many_owned(95).unwrap();
    let charged = Arc::clone(permits).try_acquire_owned().unwrap();
    let mut request = Request::new(batch(500));
    request
        .extensions_mut()
        .insert(Admitted::new(Lease::new(charged, 0)));
    let status = service.score_batch(request).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(permits.available_permits(), 5);
}

#[tokio::test]
async fn item_results_fail_only_the_invalid_items() {
    use crate::pb::score_result::Outcome;
    // Inline and on the pool, with invalid items first, in the middle and last.
    for n in [3, INLINE_MAX_ITEMS + 5, 200] {
        let mut batch = batch(n);
        batch.item_results = true;
        let bad = [0, n / 2, n - 1];
        for &i in &bad {
            batch.requests[i].id.clear();
        }
        let answer = service(4)
            .score_batch(Request::new(batch))
            .await
            .unwrap()
            .into_inner();
        assert!(answer.responses.is_empty());
        assert_eq!(answer.results.len(), n);
        for (i, result) in answer.results.into_iter().enumerate() {
            match result.outcome {
                Some(Outcome::Error(e)) if bad.contains(&i) => {
                    assert_eq!(e.code, Code::InvalidArgument as i32);
                    assert_eq!(e.message, "id: must not be empty");
                }
                Some(Outcome::Response(r)) if !bad.contains(&i) => {
                    assert_eq!(r.id, format!("r{i}"))
                }
                other => panic!("{n} requests, item {i}: {other:?}"),
            }
        }
    }
    // Every item invalid: still an answer per item, and no permit kept.
    let service = service(1);
    let mut all_bad = batch(2);
    all_bad.item_results = true;
    all_bad.requests.iter_mut().for_each(|r| r.id.clear());
    let answer = service.score_batch(Request::new(all_bad)).await.unwrap();
    assert_eq!(answer.into_inner().results.len(), 2);
    assert_eq!(service.admission.permits.available_permits(), 1);
    // A batch of the wrong size has no item to blame: the call fails.
    let empty = ScoreBatchRequest {
        item_results: true,
        ..Default::default()
    };
    let status = service.score_batch(Request::new(empty)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
}

#[test]
fn a_job_whose_caller_hung_up_before_it_ran_is_skipped_and_frees_its_permit() {
    // One pool thread, busy running this closure: the job queues behind it,
    // as it would behind other calls' work on an overloaded worker.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let service = service(4);
    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    pool.install(|| {
        let ran = Arc::clone(&ran);
        let mut call = Box::pin(service.offload(permit(&service), move |_| {
            ran.store(true, std::sync::atomic::Ordering::SeqCst);
            ((), ())
        }));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(call.as_mut().poll(&mut cx).is_pending());
        // The client cancels (or its deadline passes): tonic drops the call.
    });
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    while service.admission.permits.available_permits() < 4 {
        assert!(Instant::now() < deadline, "the permit was never returned");
        std::thread::yield_now();
    }
    assert!(
        !ran.load(std::sync::atomic::Ordering::SeqCst),
        "scored a call nobody waits for"
    );
}

//! The tower layer around the gRPC server that gives each scoring call its
//! server span, continuing the caller's trace from the W3C `traceparent` in
//! the call's metadata, and records the call's metrics. It also ends a call
//! whose `grpc-timeout` has passed with `DEADLINE_EXCEEDED`: tonic's own
//! timer answers such a call `CANCELLED` and drops it before its metrics
//! are recorded. Health and reflection calls pass straight through.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use http::{HeaderMap, Request, Response};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tower_service::Service;
use tracing::{Instrument, Span, field};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{
    deadline::{DEADLINE_LEAD, grpc_timeout},
    names,
};
use crate::{metrics, server::SCORING_SERVICE_NAME};

/// Adds [`RpcTelemetry`] to every service of a tonic server.
#[derive(Debug, Clone, Copy, Default)]
pub struct RpcTelemetryLayer;

impl<S> tower_layer::Layer<S> for RpcTelemetryLayer {
    type Service = RpcTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTelemetry { inner }
    }
}

/// See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct RpcTelemetry<S> {
    inner: S,
}

/// The open `decode` span of a call, from its arrival until the handler has
/// the decoded message: tonic decodes before the handler runs, so the span
/// travels in the request's extensions and the handler ends it.
#[derive(Debug, Clone)]
pub struct DecodeSpan(Span);

/// Ends the call's `decode` span, if it has one; the handler's first step.
pub fn end_decode<T>(request: &mut tonic::Request<T>) {
    // Dropping the last handle closes the span.
    if let Some(DecodeSpan(span)) = request.extensions_mut().remove() {
        drop(span);
    }
}

/// The scoring service's methods, as the `rpc_method` label names them.
pub const SCORING_METHODS: [&str; 2] = ["Score", "ScoreBatch"];

/// A scoring method, by the path of its HTTP/2 request.
fn scoring_method(path: &str) -> Option<(&'static str, &'static str)> {
    let method = path
        .strip_prefix('/')?
        .strip_prefix(SCORING_SERVICE_NAME)?
        .strip_prefix('/')?;
    match method {
        "Score" => Some(("Score", names::SCORE_RPC_SPAN)),
        "ScoreBatch" => Some(("ScoreBatch", names::SCORE_BATCH_RPC_SPAN)),
        _ => None,
    }
}

/// The call's gRPC status: in the headers if the call failed before its
/// body (as tonic answers every error of a unary call), else OK, which
/// tonic sends in the trailers.
fn grpc_status(headers: &HeaderMap) -> i32 {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .unwrap_or(0)
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.to_str().ok()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> Service<Request<B>> for RpcTelemetry<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Send + 'static,
    S::Future: Send + 'static,
    RB: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let Some((method, span_name)) = scoring_method(request.uri().path()) else {
            return Box::pin(self.inner.call(request));
        };
        let start = Instant::now();
        let span = tracing::info_span!(
            "rpc",
            otel.name = span_name,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = SCORING_SERVICE_NAME,
            rpc.method = method,
            rpc.grpc.status_code = field::Empty,
        );
        let parent = TraceContextPropagator::new().extract(&Headers(request.headers()));
        // Fails only when no OpenTelemetry layer is installed (export off).
        let _ = span.set_parent(parent);
        let decode = tracing::info_span!(parent: &span, names::DECODE_SPAN);
        request.extensions_mut().insert(DecodeSpan(decode));

        let deadline = grpc_timeout(request.headers())
            .map(|timeout| start + timeout.saturating_sub(DEADLINE_LEAD));
        let in_flight = metrics::InFlight::start();
        let mut unanswered = Unanswered(Some((method, start)));
        let call = self.inner.call(request);
        let recorded = span.clone();
        Box::pin(
            async move {
                let result = match deadline {
                    None => call.await,
                    Some(at) => tokio::time::timeout_at(at.into(), call)
                        .await
                        .unwrap_or_else(|_| {
                            let status =
                                tonic::Status::deadline_exceeded("the call's deadline passed");
                            Ok(status.into_http())
                        }),
                };
                let status = result.as_ref().map_or(2, |r| grpc_status(r.headers()));
                recorded.record("rpc.grpc.status_code", status);
                unanswered.0.take();
                metrics::record_call(method, status, start.elapsed());
                drop(in_flight);
                result
            }
            .instrument(span),
        )
    }
}

/// A call whose future was dropped before it answered: the client reset
/// its stream (cancelled, or its own deadline fired first). Recorded as
/// `CANCELLED`, so every call the worker took counts in its metrics.
struct Unanswered(Option<(&'static str, Instant)>);

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some((method, start)) = self.0.take() {
            metrics::record_call(method, tonic::Code::Cancelled as i32, start.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn span_names_are_the_contracts_method_paths() {
        assert_eq!(
            names::SCORE_RPC_SPAN,
            format!("{SCORING_SERVICE_NAME}/Score")
        );
        assert_eq!(
            names::SCORE_BATCH_RPC_SPAN,
            format!("{SCORING_SERVICE_NAME}/ScoreBatch")
        );
        let path = format!("/{SCORING_SERVICE_NAME}/ScoreBatch");
        assert_eq!(
            scoring_method(&path),
            Some(("ScoreBatch", names::SCORE_BATCH_RPC_SPAN))
        );
        assert_eq!(scoring_method("/grpc.health.v1.Health/Check"), None);
    }

    #[test]
    fn status_comes_from_the_headers_or_is_ok() {
        let mut headers = HeaderMap::new();
        assert_eq!(grpc_status(&headers), 0);
        headers.insert("grpc-status", "8".parse().unwrap());
        assert_eq!(grpc_status(&headers), 8);
    }

    /// A scoring service that never answers in time.
    #[derive(Clone)]
    struct Stuck;

    impl Service<Request<()>> for Stuck {
        type Response = Response<tonic::body::Body>;
        type Error = std::convert::Infallible;
        type Future = BoxFuture<Result<Self::Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<()>) -> Self::Future {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(Response::default())
            })
        }
    }

    #[tokio::test]
    async fn a_call_past_its_deadline_is_answered_deadline_exceeded() {
        use tower_layer::Layer as _;
        let mut service = RpcTelemetryLayer.layer(Stuck);
        let request = Request::builder()
            .uri(format!("/{SCORING_SERVICE_NAME}/Score"))
            .header("grpc-timeout", "50m")
            .body(())
            .unwrap();
        let response = tokio::time::timeout(Duration::from_secs(5), service.call(request))
            .await
            .expect("answered at its deadline")
            .unwrap();
        let status = tonic::Status::from_header_map(response.headers()).expect("a gRPC status");
        assert_eq!(status.code(), tonic::Code::DeadlineExceeded);
    }

    #[tokio::test]
    async fn a_call_its_client_dropped_is_counted_cancelled() {
        use tower_layer::Layer as _;
        let cancelled = || {
            let series = format!(
                "{}_count{{rpc_grpc_status_code=\"1\",rpc_method=\"ScoreBatch\"}} ",
                names::RPC_SERVER_CALL_DURATION_SECONDS.name
            );
            metrics::render()
                .lines()
                .find_map(|line| line.strip_prefix(&series)?.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let before = cancelled();
        let request = Request::builder()
            .uri(format!("/{SCORING_SERVICE_NAME}/ScoreBatch"))
            .body(())
            .unwrap();
        let call = RpcTelemetryLayer.layer(Stuck).call(request);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), call)
                .await
                .is_err()
        );
        assert_eq!(cancelled(), before + 1);
    }
}

//! The tower layer around the gRPC server that gives each scoring call its
//! server span, continuing the caller's trace from the W3C `traceparent` in
//! the call's metadata, and records the call's metrics. Health and
//! reflection calls pass straight through.

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

use super::names;
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

        let in_flight = metrics::InFlight::start();
        let call = self.inner.call(request);
        let recorded = span.clone();
        Box::pin(
            async move {
                let result = call.await;
                let status = result.as_ref().map_or(2, |r| grpc_status(r.headers()));
                recorded.record("rpc.grpc.status_code", status);
                metrics::record_call(method, status, start.elapsed());
                drop(in_flight);
                result
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
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
}

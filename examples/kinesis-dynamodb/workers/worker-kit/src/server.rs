//! The gRPC server: scoring, health and reflection, plus graceful shutdown.

use std::{future::Future, io, sync::Arc, time::Duration};

use tokio::{net::TcpListener, sync::oneshot};
use tokio_stream::Stream;
use tonic::transport::{
    Server,
    server::{Connected, TcpIncoming},
};
use tonic_health::{ServingStatus, server::HealthReporter};

use crate::{
    config::{Keepalive, ListenAddr},
    connections,
    model::Model,
    pb::{self, scoring_service_server::ScoringServiceServer},
    service::ScoringService,
    shed,
};

// The signals that start the drain have a module of their own; they are
// reached here, where the server that drains is.
pub use crate::signals::{StopSignal, StopSignals};

/// Health service name of the scoring service, as clients ask for it.
pub const SCORING_SERVICE_NAME: &str =
    <ScoringServiceServer<ScoringService> as tonic::server::NamedService>::NAME;

/// The largest header list a call may carry, in bytes as HTTP/2 counts them
/// (each field's name and value plus 32). hyper's 16 KiB default is less than a
/// valid W3C trace context: a `tracestate` of its 32 members at their largest
/// (256-byte keys and values) is 16,447 bytes (W3C Trace Context, "tracestate
/// Header Field Values"), and `baggage` may add 8,192 (W3C Baggage, "Limits").
/// Under the default, a queue message that carried one was refused before it
/// was scored and dead-lettered; 32 KiB holds both and gRPC's own headers.
const MAX_HEADER_LIST_BYTES: u32 = 32 * 1024;

/// How long a client connection lives before the worker asks the client to
/// reconnect (HTTP/2 GOAWAY; calls in flight finish). Reconnecting makes gRPC
/// clients resolve the worker's name again, so replicas added behind a
/// headless Service get their share of calls within this time even while no
/// connection fails. A minute: an HPA adds replicas every 15 s, so a longer
/// age left new replicas idle while it added more, and grpc-go re-resolves a
/// name at most every 30 s anyway. No `max_connection_age_grace`: in tonic 0.14
/// setting it replaces the GOAWAY with a hard close at age + grace. grpc-go ends its
/// health `Watch` stream on GOAWAY, so the old connection still closes.
pub const MAX_CONNECTION_AGE: Duration = Duration::from_secs(60);

/// How the server behaves under load and at shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// See [`Config::max_in_flight`](crate::config::Config::max_in_flight).
    pub max_in_flight: usize,
    /// See [`Config::shutdown_grace`](crate::config::Config::shutdown_grace).
    pub shutdown_grace: Duration,
    /// See [`Config::keepalive`](crate::config::Config::keepalive).
    pub keepalive: Keepalive,
}

/// Keepalive probes the kernel sends, `timeout` apart, before it drops a TCP
/// connection that answers none. Its probes are not retransmitted, so one
/// lost on the way must not be the end of a healthy connection.
pub const TCP_KEEPALIVE_PROBES: u32 = 3;

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: ListenAddr, source: io::Error },
    #[error("cannot read the listener's address: {0}")]
    LocalAddr(io::Error),
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Binds `addr` and serves until `shutdown` resolves and calls have drained.
pub async fn run(
    addr: ListenAddr,
    model: Arc<Model>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    match &addr {
        ListenAddr::Tcp(tcp) => {
            let listener = TcpListener::bind(tcp)
                .await
                .map_err(|source| ServeError::Bind { addr, source })?;
            serve(listener, model, options, shutdown).await
        }
        #[cfg(unix)]
        ListenAddr::Unix(path) => crate::uds::serve(path, model, options, shutdown).await,
        #[cfg(not(unix))]
        ListenAddr::Unix(_) => Err(ServeError::Bind {
            addr,
            source: io::Error::from(io::ErrorKind::Unsupported),
        }),
    }
}

/// Serves on an already bound listener until `shutdown` resolves.
///
/// On shutdown, health turns `NOT_SERVING` (so load balancers stop routing
/// here), the listener closes, and calls in flight finish. Connections still
/// open after `shutdown_grace` (a health `Watch` stream never ends by
/// itself) are dropped.
pub async fn serve(
    listener: TcpListener,
    model: Arc<Model>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let local_addr = listener.local_addr().map_err(ServeError::LocalAddr)?;
    // TCP keepalive as well as HTTP/2's: hyper pings only once the client's
    // HTTP/2 preface has arrived, so a client that vanishes before (or a
    // connection nothing ever speaks on) is dropped by the kernel's probes,
    // after the interval and the probes' timeouts.
    let Keepalive { interval, timeout } = options.keepalive;
    let incoming = TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(interval))
        .with_keepalive_interval(Some(timeout))
        .with_keepalive_retries(Some(TCP_KEEPALIVE_PROBES));
    serve_incoming(
        incoming,
        ListenAddr::Tcp(local_addr),
        model,
        options,
        shutdown,
    )
    .await
}

/// Serves the connections `incoming` yields (`addr` is only logged) until
/// `shutdown` resolves; see [`serve`].
pub(crate) async fn serve_incoming<I, IO, IE>(
    incoming: I,
    addr: ListenAddr,
    model: Arc<Model>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError>
where
    I: Stream<Item = Result<IO, IE>>,
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Connected + Unpin + Send + 'static,
    IE: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // A peer silent for the keepalive timeout is as gone as one not answering a PING.
    let incoming = connections::limit(
        incoming,
        connections::MAX_CONNECTIONS,
        options.keepalive.timeout,
    );
    crate::metrics::set_model(model.version());
    let (health, health_service) = tonic_health::server::health_reporter();
    set_health(&health, ServingStatus::Serving).await;

    // Both versions: current tools speak v1, some older ones only v1alpha.
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let scoring = ScoringService::new(model, options.max_in_flight).into_shedding_server();

    let (draining, drain_started) = oneshot::channel();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: health NOT_SERVING, draining calls");
        set_health(&health, ServingStatus::NotServing).await;
        let _ = draining.send(());
    };

    // Each call's window is smaller than hyper's default (see
    // `shed::STREAM_WINDOW_BYTES`), so a refused call pushes less; hyper's
    // default connection window (1 MiB) stays, though admitted calls'
    // unread messages can fill it and a refusal that needs the next call's
    // prefix (see `crate::shed`) then waits for it. A window twice the budget's
    // bytes cut the worker's refusal p99 under overload from ~15 ms to ~0.2 ms,
    // but let clients send doomed calls' bytes the worker must read: pinned to
    // one core, goodput at 2x saturation fell from ~1.1 to ~0.8 of peak.
    //
    // HTTP/2 keepalive: a client connection silent for `interval` gets a
    // PING, and is closed if it does not answer within `timeout`, freeing
    // its calls' streams and permits; on a Unix socket too, where a client
    // that hangs (not one that exits: the kernel closes its end) is caught
    // only this way. The server enforces no ping policy of its own (h2 has
    // none, unlike grpc-go's `keepalive.EnforcementPolicy`), so clients may
    // ping as often as they like without a GOAWAY `too_many_pings`.
    // No `concurrency_limit_per_connection`: it would queue calls in the worker
    // ahead of the shedding layer; the stream cap makes the client queue them.
    let server = Server::builder()
        .http2_keepalive_interval(Some(options.keepalive.interval))
        .http2_keepalive_timeout(Some(options.keepalive.timeout))
        .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
        .max_connection_age(MAX_CONNECTION_AGE)
        .max_concurrent_streams(shed::MAX_CONCURRENT_STREAMS)
        .initial_stream_window_size(shed::STREAM_WINDOW_BYTES)
        .layer(crate::telemetry::rpc::RpcTelemetryLayer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(scoring)
        .serve_with_incoming_shutdown(incoming, signal);

    tracing::info!(addr = %addr, max_in_flight = options.max_in_flight, "listening");

    let grace = options.shutdown_grace;
    let deadline = async move {
        if drain_started.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            // The server ended without a shutdown; let its result win.
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result?,
        () = deadline => tracing::warn!(
            grace_secs = grace.as_secs_f64(),
            "drain deadline passed; dropping remaining connections"
        ),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Reflection over the scoring contract and the health service, so tools
/// like grpcurl can call both without local `.proto` files.
fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
}

async fn set_health(reporter: &HealthReporter, status: ServingStatus) {
    // "" is the whole server, per the gRPC health checking protocol.
    reporter.set_service_status("", status).await;
    reporter
        .set_service_status(SCORING_SERVICE_NAME, status)
        .await;
}

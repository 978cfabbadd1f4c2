//! The gRPC server: scoring, health and reflection, plus graceful shutdown.

use std::{future::Future, io, net::SocketAddr, sync::Arc, time::Duration};

use tokio::{net::TcpListener, sync::oneshot};
use tonic::transport::{Server, server::TcpIncoming};
use tonic_health::{ServingStatus, server::HealthReporter};

use crate::{
    model::Model,
    pb::{self, scoring_service_server::ScoringServiceServer},
    service::ScoringService,
};

/// Health service name of the scoring service, as clients ask for it.
pub const SCORING_SERVICE_NAME: &str =
    <ScoringServiceServer<ScoringService> as tonic::server::NamedService>::NAME;

/// How the server behaves under load and at shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeOptions {
    /// See [`Config::max_in_flight`](crate::config::Config::max_in_flight).
    pub max_in_flight: usize,
    /// See [`Config::shutdown_grace`](crate::config::Config::shutdown_grace).
    pub shutdown_grace: Duration,
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("cannot read the listener's address: {0}")]
    LocalAddr(io::Error),
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Binds `addr` and serves until `shutdown` resolves and calls have drained.
pub async fn run(
    addr: SocketAddr,
    model: Arc<Model>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    serve(listener, model, options, shutdown).await
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

    let (health, health_service) = tonic_health::server::health_reporter();
    set_health(&health, ServingStatus::Serving).await;

    // Both versions: current tools speak v1, some older ones only v1alpha.
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let scoring = ScoringService::new(model, options.max_in_flight).into_server();

    let (draining, drain_started) = oneshot::channel();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: health NOT_SERVING, draining calls");
        set_health(&health, ServingStatus::NotServing).await;
        let _ = draining.send(());
    };

    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let server = Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(scoring)
        .serve_with_incoming_shutdown(incoming, signal);

    tracing::info!(addr = %local_addr, max_in_flight = options.max_in_flight, "listening");

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

/// Resolves on the first SIGINT or SIGTERM (Ctrl-C only, off Unix) and
/// reports which. Handlers are installed before this returns, so a signal
/// that arrives during start-up is not lost.
pub fn shutdown_signal() -> io::Result<impl Future<Output = &'static str> + Send> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            "ctrl-c"
        })
    }
}

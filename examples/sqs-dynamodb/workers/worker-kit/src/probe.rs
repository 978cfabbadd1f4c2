//! `--probe`: asks a running worker whether it serves, for an exec probe.
//!
//! A kubelet gRPC probe dials a TCP port; it cannot reach a worker that
//! listens on a Unix socket, and a distroless image has no grpc-health-probe
//! to run. The worker binary itself can: it reads the same `LISTEN_ADDR`,
//! calls `grpc.health.v1.Health/Check` for the scoring service and exits 0
//! only on `SERVING`.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use tonic::transport::Endpoint;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::{config::ListenAddr, server::SCORING_SERVICE_NAME};

/// The whole probe's deadline when `--probe` is given none, inside the
/// kubelet's default `timeoutSeconds` (1 s). The generated probes pass their
/// own, derived from their `timeoutSeconds`.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(900);

/// Why a probe failed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("invalid address {addr}: {source}")]
    Address {
        addr: String,
        source: tonic::transport::Error,
    },
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: tonic::transport::Error,
    },
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    #[error("health check failed: {0}")]
    Call(#[from] tonic::Status),
    #[error("worker reports {0}")]
    NotServing(&'static str),
}

/// Checks the scoring service's health at `addr`, where the worker listens;
/// an unspecified IP (`0.0.0.0`, `[::]`) is reached over loopback. `timeout`
/// bounds the whole probe, connecting and the call together: given to each
/// (tonic's `connect_timeout` and `timeout`), a worker that accepted the
/// connection slowly and then answered nothing held the probe for twice it,
/// past the kubelet's own timeout.
pub async fn check(addr: &ListenAddr, timeout: Duration) -> Result<(), ProbeError> {
    tokio::time::timeout(timeout, check_health(addr))
        .await
        .unwrap_or(Err(ProbeError::Timeout(timeout)))
}

async fn check_health(addr: &ListenAddr) -> Result<(), ProbeError> {
    let uri = match addr {
        ListenAddr::Tcp(tcp) => format!("http://{}", reachable(*tcp)),
        // tonic's Endpoint takes unix:///path as it is.
        ListenAddr::Unix(_) => addr.to_string(),
    };
    let endpoint = Endpoint::from_shared(uri.clone()).map_err(|source| ProbeError::Address {
        addr: uri.clone(),
        source,
    })?;
    let channel = endpoint
        .connect()
        .await
        .map_err(|source| ProbeError::Connect { addr: uri, source })?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: SCORING_SERVICE_NAME.to_owned(),
        })
        .await?;
    match ServingStatus::try_from(response.into_inner().status) {
        Ok(ServingStatus::Serving) => Ok(()),
        Ok(other) => Err(ProbeError::NotServing(other.as_str_name())),
        Err(_) => Err(ProbeError::NotServing("an unknown status")),
    }
}

fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::{
        os::unix::fs::{FileTypeExt, PermissionsExt},
        path::PathBuf,
        sync::Arc,
    };

    use tokio::sync::oneshot;

    use super::*;
    use crate::{server::ServeOptions, uds};

    fn socket_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("worker-probe-{}-{name}.sock", std::process::id()))
    }

    const OPTIONS: ServeOptions = ServeOptions {
        max_in_flight: 4,
        shutdown_grace: Duration::from_secs(1),
        keepalive: crate::config::Keepalive {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        },
    };

    #[tokio::test]
    async fn serving_worker_on_a_unix_socket_passes_then_fails_once_stopped() {
        let path = socket_path("serving");
        // A socket file left by a killed worker must not stop the next one.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(std::fs::metadata(&path).unwrap().file_type().is_socket());

        let model = Arc::new(crate::fixture_model());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn({
            let path = path.clone();
            async move {
                uds::serve(&path, model, OPTIONS, async {
                    let _ = stopped.await;
                })
                .await
            }
        });
        let addr = ListenAddr::Unix(path.clone());
        let mut result = check(&addr, PROBE_TIMEOUT).await;
        for _ in 0..50 {
            if result.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            result = check(&addr, PROBE_TIMEOUT).await;
        }
        result.unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, uds::SOCKET_MODE, "socket mode {mode:o}");

        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert!(!path.exists(), "the socket file is removed on shutdown");
        assert!(matches!(
            check(&addr, PROBE_TIMEOUT).await,
            Err(ProbeError::Connect { .. })
        ));
    }

    #[tokio::test]
    async fn nothing_listening_on_tcp_fails() {
        // Bound but never listening, and held through the check: a port
        // released first could be taken by a parallel test's listener.
        let held = tokio::net::TcpSocket::new_v4().unwrap();
        held.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .unwrap();
        let port = held.local_addr().unwrap().port();
        let addr = ListenAddr::Tcp(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)));
        assert!(check(&addr, PROBE_TIMEOUT).await.is_err());
        drop(held);
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_socket_is_left_alone() {
        let path = socket_path("regular");
        std::fs::write(&path, b"data").unwrap();
        let err = uds::bind(&path).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"data");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn unspecified_addresses_are_probed_over_loopback() {
        let addr: SocketAddr = "0.0.0.0:50051".parse().unwrap();
        assert_eq!(reachable(addr), "127.0.0.1:50051".parse().unwrap());
        let addr: SocketAddr = "[::]:50051".parse().unwrap();
        assert_eq!(reachable(addr), "[::1]:50051".parse().unwrap());
    }
}

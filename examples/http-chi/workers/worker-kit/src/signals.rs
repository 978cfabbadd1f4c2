//! The stop signals that start a graceful shutdown (`crate::server`).

use std::io;

/// A stop signal: SIGINT or SIGTERM (Ctrl-C, off Unix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopSignal {
    pub name: &'static str,
    /// Its number: a process that stops on it without finishing exits
    /// 128 + this, as a shell reports one the signal killed.
    pub number: u8,
}

impl StopSignal {
    pub const INTERRUPT: Self = Self {
        name: "SIGINT",
        number: 2,
    };
    pub const TERMINATE: Self = Self {
        name: "SIGTERM",
        number: 15,
    };
}

/// The stop signals the process receives, one after another. Handlers are
/// installed when this is made, so a signal that arrives during start-up is
/// not lost; they stay installed until the process exits, so the default
/// action (dying at once) never comes back, and a later signal means only
/// what the caller does with it.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Installs the handlers.
    ///
    /// # Errors
    /// The OS error of installing one.
    pub fn new() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// The next stop signal.
    pub async fn recv(&mut self) -> StopSignal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => StopSignal::INTERRUPT,
                _ = self.terminate.recv() => StopSignal::TERMINATE,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            StopSignal::INTERRUPT
        }
    }
}

//! `scorer`: serves its model over gRPC until SIGTERM or SIGINT;
//! `scorer --probe [MILLISECONDS]` asks the worker at `LISTEN_ADDR`
//! whether it is serving instead (see `worker_kit::run`).
//!
//! Configured by environment variables; see `scorer::config::SETTINGS`.

use std::process::ExitCode;

fn main() -> ExitCode {
    worker_kit::run(&scorer::WORKER)
}

//! A worker's `main`: serves its model over gRPC until SIGTERM or SIGINT, or
//! with `--probe [MILLISECONDS]` instead asks the worker at `LISTEN_ADDR`
//! whether it is serving and exits 0 if so: an exec probe for a Unix socket,
//! which a kubelet gRPC probe cannot reach.

use std::{
    ffi::OsString, num::NonZeroUsize, path::Path, process::ExitCode, sync::Arc, time::Duration,
};

use rayon::ThreadPoolBuilder;
use tokio::{net::TcpListener, runtime::Runtime};

use crate::{
    config::{Config, Settings, Unknown},
    metrics,
    model::{Compiled, Model},
    priority, probe,
    server::{self, ServeOptions, StopSignal, StopSignals},
    telemetry, validate,
};

/// What makes one worker binary differ from another.
#[derive(Debug, Clone, Copy)]
pub struct Worker {
    /// The crate and binary name: messages and thread names carry it.
    pub name: &'static str,
    /// Its environment variables and their defaults.
    pub settings: Settings,
    /// Its model, compiled in by its `build.rs`.
    pub model: &'static Compiled,
}

/// Runs `worker` with the process's arguments and environment.
pub fn run(worker: &Worker) -> ExitCode {
    let name = worker.name;
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let probe = match probe_deadline(&args) {
        Ok(probe) => probe,
        Err(message) => {
            eprintln!("{name}: {message}");
            return ExitCode::from(2);
        }
    };
    let config = match Config::from_env(&worker.settings) {
        Ok(config) => config,
        Err(error) => {
            // Logging is not set up yet: RUST_LOG itself may be the problem.
            eprintln!("{name}: invalid configuration: {error}");
            return ExitCode::from(2);
        }
    };
    if let Some(deadline) = probe {
        return run_probe(name, &config, deadline);
    }
    let runtime = match io_runtime(name, config.cpu_budget) {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{name}: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let telemetry = {
        // Inside the runtime: trace export runs on it.
        let _runtime = runtime.enter();
        telemetry::init(&config.log_filter)
    };
    let telemetry = match telemetry {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("{name}: {error}");
            return ExitCode::from(2);
        }
    };
    config.unknown.iter().for_each(Unknown::warn);
    let code = match serve(worker, config, &runtime) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(%error, "{name} failed");
            ExitCode::FAILURE
        }
    };
    // After the drain, while the runtime still runs the exporter.
    telemetry.shutdown();
    code
}

/// `--probe [MILLISECONDS]`: probe instead of serving, within that deadline;
/// the generated probes pass their timeoutSeconds less the process's own
/// start and exit, so a slow answer fails here before the kubelet gives up.
fn probe_deadline(args: &[OsString]) -> Result<Option<Duration>, String> {
    match args {
        [] => Ok(None),
        [flag] if flag == "--probe" => Ok(Some(probe::PROBE_TIMEOUT)),
        [flag, millis] if flag == "--probe" => match millis.to_str().map(str::parse::<u64>) {
            Some(Ok(millis)) if millis > 0 => Ok(Some(Duration::from_millis(millis))),
            _ => Err(format!(
                "--probe {millis:?}: want a deadline in milliseconds above 0"
            )),
        },
        _ => Err(format!(
            "unexpected arguments {args:?}; the only one is --probe [MILLISECONDS]"
        )),
    }
}

// Both pools are sized from CPU_BUDGET, never left to their own default: that
// is the CPUs the process may run on, the whole node's when the container has
// no CPU quota, which would start a thread per node core and, through the
// default MAX_IN_FLIGHT, admit far more work than the pod's CPUs can finish.
// One setting for both: rayon's RAYON_NUM_THREADS and tokio's
// TOKIO_WORKER_THREADS would be overridden, so setting either stops start-up
// naming CPU_BUDGET (the worker's `retired` settings, config.rs).

/// The async runtime that admits, refuses and answers calls.
fn io_runtime(name: &str, cpus: NonZeroUsize) -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cpus.get())
        .enable_all()
        .thread_name(format!("{name}-io"))
        .build()
}

/// The scoring pool. Named threads make profiles and stack dumps readable;
/// scoring runs below the runtime threads that admit and refuse calls
/// (priority.rs).
fn scoring_pool(name: &'static str, cpus: NonZeroUsize) -> ThreadPoolBuilder {
    ThreadPoolBuilder::new()
        .num_threads(cpus.get())
        .thread_name(move |i| format!("{name}-cpu-{i}"))
        .start_handler(|_| priority::lower_current_thread_or_warn())
}

/// Exits 0 if the worker at `LISTEN_ADDR` reports SERVING, 1 otherwise.
fn run_probe(name: &str, config: &Config, deadline: Duration) -> ExitCode {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())
        .and_then(|runtime| {
            runtime
                .block_on(probe::check(&config.listen_addr, deadline))
                .map_err(|error| error.to_string())
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{name} --probe {}: {error}", config.listen_addr);
            ExitCode::FAILURE
        }
    }
}

fn serve(
    worker: &Worker,
    config: Config,
    runtime: &Runtime,
) -> Result<(), Box<dyn std::error::Error>> {
    // First, before the model loads (seconds, for a big MODEL_PATH): with no
    // handler installed, the kernel drops a SIGTERM to a container's PID 1,
    // which the worker is in its image, so it served on until SIGKILL; and
    // outside a container the signal killed it. Caught from here on, one that
    // comes during start-up is kept, and the worker drains as soon as it serves.
    let signals = {
        let _runtime = runtime.enter();
        StopSignals::new()?
    };
    let model = load_model(worker, config.model_path.as_deref())?;
    tracing::info!(
        version = model.version(),
        trees = model.tree_count(),
        compiled = model.is_compiled(),
        source = config
            .model_path
            .as_deref()
            .map_or("embedded".into(), |path| path.display().to_string()),
        "model loaded"
    );

    scoring_pool(worker.name, config.cpu_budget).build_global()?;
    tracing::info!(cpu_budget = config.cpu_budget.get(), "scoring pool started");

    runtime.block_on(async {
        // Bound before gRPC, so a taken metrics port stops start-up.
        let metrics_listener = TcpListener::bind(config.metrics_addr)
            .await
            .map_err(|error| {
                format!(
                    "cannot listen on METRICS_ADDR={}: {error}",
                    config.metrics_addr
                )
            })?;
        tracing::info!(addr = %metrics_listener.local_addr()?, "metrics listening");
        // Served until the process exits: scrapes still work while draining.
        tokio::spawn(async move {
            if let Err(error) = metrics::serve(metrics_listener, std::future::pending()).await {
                tracing::error!(%error, "metrics server failed");
            }
        });
        let shutdown = stop_requested(signals);
        let options = ServeOptions {
            max_in_flight: config.max_in_flight,
            shutdown_grace: config.shutdown_grace,
            keepalive: config.keepalive,
        };
        server::run(config.listen_addr, Arc::new(model), options, shutdown).await?;
        Ok(())
    })
}

/// The model to serve: `MODEL_PATH`'s, or the one compiled in, held to the
/// contract's response rules (`validate::model`) as well as the engine's.
fn load_model(worker: &Worker, model_path: Option<&Path>) -> Result<Model, String> {
    let loaded = match model_path {
        Some(path) => Model::from_path_with(path, worker.model),
        None => Model::embedded(worker.model),
    };
    let checked = loaded.map_err(|error| error.to_string()).and_then(|model| {
        validate::model(&model).map_err(|error| format!("invalid model: {error}"))?;
        Ok(model)
    });
    // Named as a bad setting is: a parse or validation error alone does not
    // say which file it is about, or that the file is not the embedded model.
    checked.map_err(|error| match model_path {
        Some(path) => format!("MODEL_PATH={path:?}: {error}"),
        None => format!("the embedded model: {error}"),
    })
}

/// Resolves at the first SIGTERM or SIGINT, which starts the graceful drain,
/// and leaves the signals after it to one rule, the orchestrator's too (its
/// cmd/orchestrator/main.go, `stopSignals`) and the README's: a later SIGINT,
/// someone pressing Ctrl-C again, exits at once (130, calls in flight
/// dropped) whatever the first signal was; a later SIGTERM changes nothing.
/// Supervisors (Kubernetes, docker, systemd, make run) send SIGTERM to ask
/// for a graceful stop and SIGKILL when they want it now, so a repeated
/// SIGTERM, or one after Ctrl-C, is the same request, and no time window
/// tells the two apart.
async fn stop_requested(mut signals: StopSignals) {
    let first = signals.recv().await;
    tracing::info!(signal = first.name, "stop signal received");
    // The handlers stay installed (StopSignals), so a later signal does only
    // what this task does with it.
    tokio::spawn(async move {
        loop {
            let next = signals.recv().await;
            if next == StopSignal::INTERRUPT {
                tracing::warn!("SIGINT again: exiting now, calls in flight are dropped");
                telemetry::flush_logs();
                std::process::exit(128 + i32::from(next.number));
            }
            tracing::info!("SIGTERM again: the same request to stop; still draining");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn probe_takes_the_deadline_the_manifests_pass() {
        assert_eq!(probe_deadline(&args(&[])), Ok(None));
        assert_eq!(
            probe_deadline(&args(&["--probe"])),
            Ok(Some(probe::PROBE_TIMEOUT))
        );
        assert_eq!(
            probe_deadline(&args(&["--probe", "4700"])),
            Ok(Some(Duration::from_millis(4700)))
        );
        for bad in [
            &["--probe", "0"][..],
            &["--probe", "5s"],
            &["--probe", "1", "2"],
            &["--serve"],
        ] {
            assert!(probe_deadline(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn both_pools_have_a_thread_per_cpu_of_the_budget() {
        // One more than this machine's: what neither pool picks by itself.
        let cpus = std::thread::available_parallelism()
            .unwrap()
            .saturating_add(1);
        let runtime = io_runtime("test", cpus).unwrap();
        assert_eq!(runtime.metrics().num_workers(), cpus.get());
        let pool = scoring_pool("test", cpus).build().unwrap();
        assert_eq!(pool.current_num_threads(), cpus.get());
    }
}

//! End to end: the real `scorer` binary refuses to start, in one
//! line naming the setting, on configuration or a model it cannot serve, and
//! starts despite variables it does not read.

// The other end-to-end tests use the rest of the child's methods.
#[allow(dead_code)]
mod child;

use std::{
    path::PathBuf,
    process::{Command, Output, Stdio},
    sync::mpsc,
    thread,
    time::Duration,
};

/// Well past a refusal, which comes before the worker binds anything.
const EXIT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the worker with `env` until it exits; a worker that starts serving
/// instead is killed and the test fails.
fn run_until_exit(env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_scorer"));
    command
        .env_remove("MODEL_PATH")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().expect("the worker starts");
    let pid = child.id().to_string();
    let (done, exited) = mpsc::channel();
    thread::spawn(move || done.send(child.wait_with_output()));
    match exited.recv_timeout(EXIT_TIMEOUT) {
        Ok(output) => output.expect("the worker's output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("the worker with {env:?} started serving instead of refusing to");
        }
    }
}

/// The error the worker logged before it exited 1.
fn start_error(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|line| line["error"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no error logged: {stdout}"))
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("worker-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_bad_model_path_fails_at_start_naming_the_setting() {
    let invalid = temp_file("bad-model.json", r#"{"format_version": 1}"#);
    for (path, problem) in [
        ("/nonexistent/model.json", "cannot read model file"),
        (invalid.to_str().unwrap(), "missing field `version`"),
    ] {
        let error = start_error(&run_until_exit(&[("MODEL_PATH", path)]));
        assert!(
            error.starts_with(&format!("MODEL_PATH={path:?}: ")),
            "{error}"
        );
        assert!(error.contains(problem), "{error}");
    }
    std::fs::remove_file(invalid).unwrap();
}

/// Every response carries the model's version and reason codes, so a model
/// whose strings the contract's response rules refuse is refused at start:
/// served, it broke the contract in every response.
#[test]
fn a_model_whose_responses_the_contract_refuses_fails_at_start() {
    let shipped: serde_json::Value = serde_json::from_str(include_str!("../model/model.json"))
        .expect("the shipped model is JSON");
    let long = "x".repeat(65);
    let mut long_version = shipped.clone();
    long_version["version"] = long.clone().into();
    let mut long_reason_code = shipped;
    long_reason_code["features"][0]["reason_code"] = long.into();
    for (name, model, problem) in [
        (
            "version",
            long_version,
            "version: must be at most 64 characters",
        ),
        (
            "reason-code",
            long_reason_code,
            "features[0].reason_code \"xxxx",
        ),
    ] {
        let path = temp_file(&format!("{name}.json"), &model.to_string());
        let path = path.to_str().unwrap();
        let error = start_error(&run_until_exit(&[("MODEL_PATH", path)]));
        std::fs::remove_file(path).unwrap();
        assert!(
            error.starts_with(&format!("MODEL_PATH={path:?}: invalid model: ")),
            "{error}"
        );
        assert!(error.contains(problem), "{error}");
    }
}

#[test]
fn bad_configuration_exits_with_usage_error() {
    // CPU_BUDGET as a millicore quantity, not the whole CPUs the downward API
    // gives; rayon's own pool size, which CPU_BUDGET overrides.
    for (name, value) in [
        ("MAX_IN_FLIGHT", "0"),
        ("CPU_BUDGET", "250m"),
        ("RAYON_NUM_THREADS", "4"),
    ] {
        let output = run_until_exit(&[(name, value)]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("{name}={value:?}")), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

#[test]
fn a_kubernetes_service_link_in_the_workers_namespace_is_logged_not_refused() {
    // Kubernetes sets this in every pod of a namespace with a Service named
    // `model`, unless the pod turns enableServiceLinks off.
    let worker = child::Worker::start(&[("MODEL_PORT", "tcp://10.0.0.1:80")]);
    worker.terminate();
    let (status, logs) = worker.wait(EXIT_TIMEOUT);
    assert!(status.success(), "{status}");
    let warning = logs
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["variable"] == "MODEL_PORT")
        .unwrap_or_else(|| panic!("no warning naming MODEL_PORT: {logs:#?}"));
    assert_eq!(warning["level"], "WARN", "{warning}");
    assert_eq!(warning["closest_setting"], "MODEL_PATH", "{warning}");
}

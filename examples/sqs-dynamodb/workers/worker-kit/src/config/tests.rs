use super::*;

/// A worker's table as create-hybrid-backend's `src/render/settings.ts` renders one.
const SETTINGS: Settings = Settings {
    table: &[
        Setting {
            name: "LISTEN_ADDR",
            default: "0.0.0.0:50051",
        },
        Setting {
            name: "MODEL_PATH",
            default: "",
        },
        Setting {
            name: "CPU_BUDGET",
            default: "",
        },
        Setting {
            name: "MAX_IN_FLIGHT",
            default: "",
        },
        Setting {
            name: "SHUTDOWN_GRACE_SECS",
            default: "20",
        },
        Setting {
            name: "KEEPALIVE_INTERVAL_SECS",
            default: "30",
        },
        Setting {
            name: "KEEPALIVE_TIMEOUT_SECS",
            default: "10",
        },
        Setting {
            name: "RUST_LOG",
            default: "info",
        },
        Setting {
            name: "METRICS_ADDR",
            default: "0.0.0.0:9464",
        },
    ],
    owned_prefixes: &["MODEL_"],
    retired: &[Retired {
        name: "RAYON_NUM_THREADS",
        instead: "CPU_BUDGET",
    }],
};

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_vars(
        &SETTINGS,
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
}

#[test]
fn defaults_apply_when_unset_or_empty() {
    let config = config(&[("MODEL_PATH", ""), ("RUST_LOG", "")]).unwrap();
    assert_eq!(
        config.listen_addr,
        ListenAddr::Tcp("0.0.0.0:50051".parse().unwrap())
    );
    assert_eq!(config.model_path, None);
    let cpus = thread::available_parallelism().unwrap();
    assert_eq!(config.cpu_budget, cpus);
    assert_eq!(config.max_in_flight, cpus.get() * IN_FLIGHT_PER_CPU);
    assert_eq!(config.shutdown_grace, Duration::from_secs(20));
    assert_eq!(
        config.keepalive,
        Keepalive {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        }
    );
    assert_eq!(config.log_filter, "info");
    assert_eq!(config.metrics_addr, "0.0.0.0:9464".parse().unwrap());
}

#[test]
fn values_are_read() {
    let config = config(&[
        ("LISTEN_ADDR", "127.0.0.1:0"),
        ("MODEL_PATH", "/models/m.json"),
        ("CPU_BUDGET", "3"),
        ("MAX_IN_FLIGHT", "8"),
        ("SHUTDOWN_GRACE_SECS", "5"),
        ("KEEPALIVE_INTERVAL_SECS", "2"),
        ("KEEPALIVE_TIMEOUT_SECS", "1"),
        ("RUST_LOG", "debug"),
        ("METRICS_ADDR", "127.0.0.1:0"),
    ])
    .unwrap();
    assert_eq!(
        config.listen_addr,
        ListenAddr::Tcp("127.0.0.1:0".parse().unwrap())
    );
    assert_eq!(config.model_path, Some(PathBuf::from("/models/m.json")));
    assert_eq!(config.cpu_budget.get(), 3);
    assert_eq!(config.max_in_flight, 8);
    assert_eq!(config.shutdown_grace, Duration::from_secs(5));
    assert_eq!(config.keepalive.interval, Duration::from_secs(2));
    assert_eq!(config.keepalive.timeout, Duration::from_secs(1));
    assert_eq!(config.log_filter, "debug");
    assert_eq!(config.metrics_addr, "127.0.0.1:0".parse().unwrap());
}

#[test]
fn the_cpu_budget_sizes_the_default_in_flight_limit() {
    // As the Kubernetes manifests set it: the CPU request, rounded up, on a
    // node with more cores, which must not count.
    let cpus = thread::available_parallelism().unwrap().get() + 1;
    let config = config(&[("CPU_BUDGET", &cpus.to_string())]).unwrap();
    assert_eq!(config.cpu_budget.get(), cpus);
    assert_eq!(config.max_in_flight, cpus * IN_FLIGHT_PER_CPU);
}

#[test]
fn unix_socket_addresses_are_read() {
    let config = config(&[("LISTEN_ADDR", "unix:///run/worker/scorer.sock")]).unwrap();
    let addr = ListenAddr::Unix("/run/worker/scorer.sock".into());
    assert_eq!(config.listen_addr, addr);
    assert_eq!(addr.to_string(), "unix:///run/worker/scorer.sock");
}

#[test]
fn bad_values_name_the_variable() {
    for (name, value) in [
        ("LISTEN_ADDR", "localhost"),
        ("LISTEN_ADDR", "unix://relative.sock"),
        ("LISTEN_ADDR", "unix:/tmp/one-slash.sock"),
        ("CPU_BUDGET", "0"),
        ("CPU_BUDGET", "250m"),
        ("CPU_BUDGET", "0.5"),
        ("CPU_BUDGET", "-1"),
        ("CPU_BUDGET", "1025"),
        ("MAX_IN_FLIGHT", "0"),
        ("MAX_IN_FLIGHT", "-1"),
        ("MAX_IN_FLIGHT", "lots"),
        ("SHUTDOWN_GRACE_SECS", "1.5"),
        ("KEEPALIVE_INTERVAL_SECS", "0"),
        ("KEEPALIVE_INTERVAL_SECS", "30s"),
        ("KEEPALIVE_INTERVAL_SECS", "3601"),
        ("KEEPALIVE_TIMEOUT_SECS", "0"),
        ("KEEPALIVE_TIMEOUT_SECS", "-1"),
        ("KEEPALIVE_TIMEOUT_SECS", "0.5"),
        ("METRICS_ADDR", "unix:///tmp/metrics.sock"),
        ("METRICS_ADDR", "9090"),
    ] {
        let err = config(&[(name, value)]).unwrap_err();
        assert_eq!(err.name, name);
        assert!(err.to_string().starts_with(&format!("{name}=")), "{err}");
    }
}

#[test]
fn metrics_on_the_grpc_port_is_a_bad_setting_not_a_failed_bind() {
    for metrics in ["0.0.0.0:50051", "127.0.0.1:50051"] {
        let err = config(&[("METRICS_ADDR", metrics)]).unwrap_err();
        let reason = "takes LISTEN_ADDR's port (0.0.0.0:50051); expected another, or 0";
        assert_eq!(
            err.to_string(),
            format!("METRICS_ADDR={metrics:?}: {reason}")
        );
    }
    for (listen, metrics) in [
        ("127.0.0.1:50051", "127.0.0.1:50052"),
        ("[::1]:0", "[::1]:0"),
    ] {
        config(&[("LISTEN_ADDR", listen), ("METRICS_ADDR", metrics)]).unwrap();
    }
}

#[test]
fn a_bad_keepalive_is_one_line_naming_the_variable_value_and_range() {
    // 0 is refused: a PING every instant, or a timeout no client can meet.
    let err = config(&[("KEEPALIVE_INTERVAL_SECS", "0")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "KEEPALIVE_INTERVAL_SECS=\"0\": expected whole seconds from 1 to 3600"
    );
    let err = config(&[("KEEPALIVE_TIMEOUT_SECS", "10s")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "KEEPALIVE_TIMEOUT_SECS=\"10s\": expected whole seconds from 1 to 3600"
    );
}

#[test]
fn errors_suggest_the_workers_own_defaults() {
    let err = config(&[("LISTEN_ADDR", "localhost")]).unwrap_err();
    assert!(err.reason.contains("0.0.0.0:50051"), "{err}");
    let err = config(&[("METRICS_ADDR", "9090")]).unwrap_err();
    assert!(err.reason.contains("0.0.0.0:9464"), "{err}");
}

#[test]
fn unknown_names_in_the_workers_namespaces_are_reported_naming_the_closest_setting() {
    let config = config(&[("MODEL_FILE", "/m.json"), ("MODEL_PAHT", "/m.json")]).unwrap();
    let names: Vec<(&str, &str)> = config
        .unknown
        .iter()
        .map(|u| (u.name.as_str(), u.closest))
        .collect();
    assert_eq!(
        names,
        [("MODEL_FILE", "MODEL_PATH"), ("MODEL_PAHT", "MODEL_PATH")]
    );
    assert_eq!(config.model_path, None);
}

#[test]
fn kubernetes_service_links_do_not_stop_start_up() {
    // What a Service named `model` puts in every pod of its namespace.
    let config = config(&[
        ("MODEL_PORT", "tcp://10.0.0.1:80"),
        ("MODEL_SERVICE_HOST", "10.0.0.1"),
        ("MODEL_PORT_80_TCP_ADDR", "10.0.0.1"),
    ])
    .unwrap();
    assert_eq!(config.unknown.len(), 3, "{:?}", config.unknown);
    assert!(config.unknown.iter().all(|u| u.closest == "MODEL_PATH"));
}

#[test]
fn settings_and_other_names_are_not_reported() {
    let config = config(&[("MODEL_PATH", "/m.json"), ("HOME", "/root")]).unwrap();
    assert_eq!(config.unknown, []);
}

#[test]
fn a_retired_name_stops_start_up_naming_the_setting_to_use() {
    let err = config(&[("RAYON_NUM_THREADS", "4"), ("CPU_BUDGET", "2")]).unwrap_err();
    assert_eq!(err.name, "RAYON_NUM_THREADS");
    assert_eq!(
        err.to_string(),
        "RAYON_NUM_THREADS=\"4\": the worker does not read it; set CPU_BUDGET instead"
    );
}

#[test]
fn the_orchestrators_settings_are_left_alone() {
    // `make run` gives every service one environment.
    config(&[
        ("SHUTDOWN_TIMEOUT", "10s"),
        ("WORKER_SCORER_ADDR", "127.0.0.1:1"),
        ("LOG_LEVEL", "debug"),
    ])
    .unwrap();
}

#[test]
fn every_setting_read_is_listed() {
    // A name parsing asks for that READ lacks would be missing from a worker's
    // table check; one READ lists that parsing never asks for, documented but ignored.
    let source = include_str!("mod.rs");
    let body =
        &source[source.find("pub fn from_vars").unwrap()..source.find("#[cfg(test)]").unwrap()];
    // Read through `get`, or through `seconds`, which calls it.
    let asked: Vec<&str> = ["get(\"", "seconds(\""]
        .iter()
        .flat_map(|call| body.split(call).skip(1))
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    let mut read = READ.to_vec();
    read.sort_unstable();
    let mut asked_sorted = asked.clone();
    asked_sorted.sort_unstable();
    assert_eq!(asked_sorted, read);
}

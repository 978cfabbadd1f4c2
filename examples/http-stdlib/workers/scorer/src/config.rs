//! `scorer`'s environment variables; `worker_kit::config` parses them.

pub use worker_kit::config::{Config, ConfigError, ListenAddr, Retired, Setting, Settings};

/// Every variable the worker reads. It is rendered from the same table as the
/// README's Configuration section (create-hybrid-backend's
/// `src/render/settings.ts`), so the two cannot disagree; parsing takes every
/// default from here. Only prefixes nothing else here uses are owned: `make
/// run` gives the orchestrator and the workers the same environment.
pub const SETTINGS: Settings = Settings {
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
            default: "0.0.0.0:51051",
        },
    ],
    owned_prefixes: &["MODEL_"],
    retired: &[
        Retired {
            name: "RAYON_NUM_THREADS",
            instead: "CPU_BUDGET",
        },
        Retired {
            name: "TOKIO_WORKER_THREADS",
            instead: "CPU_BUDGET",
        },
    ],
};

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

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
        assert_eq!(config.shutdown_grace, Duration::from_secs(20));
        assert_eq!(config.log_filter, "info");
        assert_eq!(config.metrics_addr, "0.0.0.0:51051".parse().unwrap());
    }

    #[test]
    fn the_table_is_what_the_kit_reads() {
        // A setting the kit never reads would be documented but ignored.
        let mut table: Vec<&str> = SETTINGS.table.iter().map(|s| s.name).collect();
        let mut read = worker_kit::config::READ.to_vec();
        table.sort_unstable();
        read.sort_unstable();
        assert_eq!(table, read);
    }

    #[test]
    fn the_pools_own_sizing_variables_stop_start_up_naming_cpu_budget() {
        // CPU_BUDGET sizes both pools and the default MAX_IN_FLIGHT together;
        // one of them set apart would be silently overridden.
        for name in ["RAYON_NUM_THREADS", "TOKIO_WORKER_THREADS"] {
            let err = config(&[(name, "4")]).unwrap_err();
            assert_eq!(err.name, name);
            assert!(err.reason.contains("CPU_BUDGET"), "{err}");
        }
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
}

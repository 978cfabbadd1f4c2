//! The values the scripts' rule for each setting takes and refuses (`make
//! run --check`, scripts/checks.sh), rendered from the one source of both
//! (create-hybrid-backend's `src/render/setting-rules.ts`); the orchestrator's
//! config tests run the same for its settings, so no parser can drift from its
//! rule.

use super::*;

/// The first worker's settings table, as its config.rs renders it.
const TABLE: &[Setting] = &[
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
];

/// (setting, value, whether the worker takes it).
const EXAMPLES: &[(&str, &str, bool)] = &[
    ("LISTEN_ADDR", "50051", false),
    ("LISTEN_ADDR", "localhost", false),
    ("LISTEN_ADDR", ":50051x", false),
    ("LISTEN_ADDR", ":65536", false),
    ("LISTEN_ADDR", ":-50051", false),
    ("LISTEN_ADDR", "::1:50051", false),
    ("LISTEN_ADDR", "[::1]", false),
    ("LISTEN_ADDR", "a b:50051", false),
    ("LISTEN_ADDR", "1.2.3.4:50051:50051", false),
    ("LISTEN_ADDR", "localhost:50051/x", false),
    ("LISTEN_ADDR", "[:::]:50051", false),
    ("LISTEN_ADDR", "[1:2]:50051", false),
    ("LISTEN_ADDR", "[::1::]:50051", false),
    ("LISTEN_ADDR", "[12345::]:50051", false),
    ("LISTEN_ADDR", "[1:2:3:4:5:6:7::8]:50051", false),
    ("LISTEN_ADDR", "[::ffff:1.2.3.256]:50051", false),
    ("LISTEN_ADDR", "[1.2.3.4]:50051", false),
    ("LISTEN_ADDR", "[]:50051", false),
    ("LISTEN_ADDR", "localhost:50051", false),
    ("LISTEN_ADDR", ":50051", false),
    ("LISTEN_ADDR", "01.2.3.4:50051", false),
    ("LISTEN_ADDR", "1.2.3:50051", false),
    ("LISTEN_ADDR", "256.0.0.1:50051", false),
    ("LISTEN_ADDR", "[fe80::1%eth0]:50051", false),
    ("LISTEN_ADDR", "[fe80::1%4294967296]:50051", false),
    ("LISTEN_ADDR", "unix:///", false),
    ("LISTEN_ADDR", "unix:///tmp/", false),
    ("LISTEN_ADDR", "unix:///tmp/.", false),
    ("LISTEN_ADDR", "unix:///tmp/..", false),
    ("LISTEN_ADDR", "unix:///tmp/x/", false),
    ("LISTEN_ADDR", "unix://worker.sock", false),
    ("LISTEN_ADDR", "unix:/worker.sock", false),
    ("LISTEN_ADDR", "unix:///tmp", false),
    ("LISTEN_ADDR", " 127.0.0.1:50051 ", false),
    ("LISTEN_ADDR", "\tunix:///tmp/.worker.sock", false),
    ("LISTEN_ADDR", "127.0.0.1:50051\n", false),
    ("LISTEN_ADDR", " ", false),
    ("LISTEN_ADDR", "127.0.0.1:50051", true),
    ("LISTEN_ADDR", "[::1]:50051", true),
    ("LISTEN_ADDR", "0.0.0.0:50051", true),
    ("LISTEN_ADDR", "[::]:50051", true),
    ("LISTEN_ADDR", "127.0.0.1:00050051", true),
    ("LISTEN_ADDR", "[fe80::1%2]:50051", true),
    ("LISTEN_ADDR", "[::ffff:1.2.3.4]:50051", true),
    ("LISTEN_ADDR", "[1:2:3:4:5:6:7:8]:50051", true),
    ("LISTEN_ADDR", "[1::]:50051", true),
    ("LISTEN_ADDR", "127.0.0.1:0", true),
    ("LISTEN_ADDR", "unix:///tmp/worker.sock", true),
    ("LISTEN_ADDR", "unix:///tmp/.worker.sock", true),
    ("MODEL_PATH", " x ", false),
    ("MODEL_PATH", "\tx", false),
    ("MODEL_PATH", "x\n", false),
    ("MODEL_PATH", " ", false),
    ("MODEL_PATH", "x", true),
    ("CPU_BUDGET", "abc", false),
    ("CPU_BUDGET", "-1", false),
    ("CPU_BUDGET", "1.5", false),
    ("CPU_BUDGET", "1e3", false),
    ("CPU_BUDGET", "1 0", false),
    ("CPU_BUDGET", "0x10", false),
    ("CPU_BUDGET", "99999999999999999999999", false),
    ("CPU_BUDGET", "1025", false),
    ("CPU_BUDGET", "0", false),
    ("CPU_BUDGET", "-1", false),
    ("CPU_BUDGET", " 1 ", false),
    ("CPU_BUDGET", "\t01024", false),
    ("CPU_BUDGET", "1\n", false),
    ("CPU_BUDGET", " ", false),
    ("CPU_BUDGET", "1", true),
    ("CPU_BUDGET", "1024", true),
    ("CPU_BUDGET", "+1024", true),
    ("CPU_BUDGET", "01024", true),
    ("MAX_IN_FLIGHT", "abc", false),
    ("MAX_IN_FLIGHT", "-1", false),
    ("MAX_IN_FLIGHT", "1.5", false),
    ("MAX_IN_FLIGHT", "1e3", false),
    ("MAX_IN_FLIGHT", "1 0", false),
    ("MAX_IN_FLIGHT", "0x10", false),
    ("MAX_IN_FLIGHT", "99999999999999999999999", false),
    ("MAX_IN_FLIGHT", "1000001", false),
    ("MAX_IN_FLIGHT", "0", false),
    ("MAX_IN_FLIGHT", "-1", false),
    ("MAX_IN_FLIGHT", " 1 ", false),
    ("MAX_IN_FLIGHT", "\t01000000", false),
    ("MAX_IN_FLIGHT", "1\n", false),
    ("MAX_IN_FLIGHT", " ", false),
    ("MAX_IN_FLIGHT", "1", true),
    ("MAX_IN_FLIGHT", "1000000", true),
    ("MAX_IN_FLIGHT", "+1000000", true),
    ("MAX_IN_FLIGHT", "01000000", true),
    ("SHUTDOWN_GRACE_SECS", "abc", false),
    ("SHUTDOWN_GRACE_SECS", "-1", false),
    ("SHUTDOWN_GRACE_SECS", "1.5", false),
    ("SHUTDOWN_GRACE_SECS", "1e3", false),
    ("SHUTDOWN_GRACE_SECS", "1 0", false),
    ("SHUTDOWN_GRACE_SECS", "0x10", false),
    ("SHUTDOWN_GRACE_SECS", "99999999999999999999999", false),
    ("SHUTDOWN_GRACE_SECS", "3601", false),
    ("SHUTDOWN_GRACE_SECS", " 0 ", false),
    ("SHUTDOWN_GRACE_SECS", "\t03600", false),
    ("SHUTDOWN_GRACE_SECS", "0\n", false),
    ("SHUTDOWN_GRACE_SECS", " ", false),
    ("SHUTDOWN_GRACE_SECS", "0", true),
    ("SHUTDOWN_GRACE_SECS", "3600", true),
    ("SHUTDOWN_GRACE_SECS", "+3600", true),
    ("SHUTDOWN_GRACE_SECS", "03600", true),
    ("KEEPALIVE_INTERVAL_SECS", "abc", false),
    ("KEEPALIVE_INTERVAL_SECS", "-1", false),
    ("KEEPALIVE_INTERVAL_SECS", "1.5", false),
    ("KEEPALIVE_INTERVAL_SECS", "1e3", false),
    ("KEEPALIVE_INTERVAL_SECS", "1 0", false),
    ("KEEPALIVE_INTERVAL_SECS", "0x10", false),
    ("KEEPALIVE_INTERVAL_SECS", "99999999999999999999999", false),
    ("KEEPALIVE_INTERVAL_SECS", "3601", false),
    ("KEEPALIVE_INTERVAL_SECS", "0", false),
    ("KEEPALIVE_INTERVAL_SECS", "-1", false),
    ("KEEPALIVE_INTERVAL_SECS", " 1 ", false),
    ("KEEPALIVE_INTERVAL_SECS", "\t03600", false),
    ("KEEPALIVE_INTERVAL_SECS", "1\n", false),
    ("KEEPALIVE_INTERVAL_SECS", " ", false),
    ("KEEPALIVE_INTERVAL_SECS", "1", true),
    ("KEEPALIVE_INTERVAL_SECS", "3600", true),
    ("KEEPALIVE_INTERVAL_SECS", "+3600", true),
    ("KEEPALIVE_INTERVAL_SECS", "03600", true),
    ("KEEPALIVE_TIMEOUT_SECS", "abc", false),
    ("KEEPALIVE_TIMEOUT_SECS", "-1", false),
    ("KEEPALIVE_TIMEOUT_SECS", "1.5", false),
    ("KEEPALIVE_TIMEOUT_SECS", "1e3", false),
    ("KEEPALIVE_TIMEOUT_SECS", "1 0", false),
    ("KEEPALIVE_TIMEOUT_SECS", "0x10", false),
    ("KEEPALIVE_TIMEOUT_SECS", "99999999999999999999999", false),
    ("KEEPALIVE_TIMEOUT_SECS", "3601", false),
    ("KEEPALIVE_TIMEOUT_SECS", "0", false),
    ("KEEPALIVE_TIMEOUT_SECS", "-1", false),
    ("KEEPALIVE_TIMEOUT_SECS", " 1 ", false),
    ("KEEPALIVE_TIMEOUT_SECS", "\t03600", false),
    ("KEEPALIVE_TIMEOUT_SECS", "1\n", false),
    ("KEEPALIVE_TIMEOUT_SECS", " ", false),
    ("KEEPALIVE_TIMEOUT_SECS", "1", true),
    ("KEEPALIVE_TIMEOUT_SECS", "3600", true),
    ("KEEPALIVE_TIMEOUT_SECS", "+3600", true),
    ("KEEPALIVE_TIMEOUT_SECS", "03600", true),
    ("RUST_LOG", " info ", false),
    ("RUST_LOG", "\tinfo", false),
    ("RUST_LOG", "info\n", false),
    ("RUST_LOG", " ", false),
    ("RUST_LOG", "info", true),
    ("METRICS_ADDR", "51051", false),
    ("METRICS_ADDR", "localhost", false),
    ("METRICS_ADDR", ":51051x", false),
    ("METRICS_ADDR", ":65536", false),
    ("METRICS_ADDR", ":-51051", false),
    ("METRICS_ADDR", "::1:51051", false),
    ("METRICS_ADDR", "[::1]", false),
    ("METRICS_ADDR", "a b:51051", false),
    ("METRICS_ADDR", "1.2.3.4:51051:51051", false),
    ("METRICS_ADDR", "localhost:51051/x", false),
    ("METRICS_ADDR", "[:::]:51051", false),
    ("METRICS_ADDR", "[1:2]:51051", false),
    ("METRICS_ADDR", "[::1::]:51051", false),
    ("METRICS_ADDR", "[12345::]:51051", false),
    ("METRICS_ADDR", "[1:2:3:4:5:6:7::8]:51051", false),
    ("METRICS_ADDR", "[::ffff:1.2.3.256]:51051", false),
    ("METRICS_ADDR", "[1.2.3.4]:51051", false),
    ("METRICS_ADDR", "[]:51051", false),
    ("METRICS_ADDR", "localhost:51051", false),
    ("METRICS_ADDR", ":51051", false),
    ("METRICS_ADDR", "01.2.3.4:51051", false),
    ("METRICS_ADDR", "1.2.3:51051", false),
    ("METRICS_ADDR", "256.0.0.1:51051", false),
    ("METRICS_ADDR", "[fe80::1%eth0]:51051", false),
    ("METRICS_ADDR", "[fe80::1%4294967296]:51051", false),
    ("METRICS_ADDR", "unix:///", false),
    ("METRICS_ADDR", "unix:///tmp/", false),
    ("METRICS_ADDR", "unix:///tmp/.", false),
    ("METRICS_ADDR", "unix:///tmp/..", false),
    ("METRICS_ADDR", "unix:///tmp/x/", false),
    ("METRICS_ADDR", "unix://worker.sock", false),
    ("METRICS_ADDR", "unix:/worker.sock", false),
    ("METRICS_ADDR", "unix:///tmp", false),
    ("METRICS_ADDR", " 127.0.0.1:51051 ", false),
    ("METRICS_ADDR", "\t127.0.0.1:0", false),
    ("METRICS_ADDR", "127.0.0.1:51051\n", false),
    ("METRICS_ADDR", " ", false),
    ("METRICS_ADDR", "127.0.0.1:51051", true),
    ("METRICS_ADDR", "[::1]:51051", true),
    ("METRICS_ADDR", "0.0.0.0:51051", true),
    ("METRICS_ADDR", "[::]:51051", true),
    ("METRICS_ADDR", "127.0.0.1:00051051", true),
    ("METRICS_ADDR", "[fe80::1%2]:51051", true),
    ("METRICS_ADDR", "[::ffff:1.2.3.4]:51051", true),
    ("METRICS_ADDR", "[1:2:3:4:5:6:7:8]:51051", true),
    ("METRICS_ADDR", "[1::]:51051", true),
    ("METRICS_ADDR", "127.0.0.1:0", true),
];

#[test]
fn every_rule_example_gets_the_scripts_answer() {
    let settings = Settings {
        table: TABLE,
        owned_prefixes: &[],
        retired: &[],
    };
    let wrong: Vec<String> = EXAMPLES
        .iter()
        .filter_map(|&(name, value, ok)| {
            let vars = [(name.to_owned(), value.to_owned())];
            let refused = matches!(Config::from_vars(&settings, vars), Err(e) if e.name == name);
            let want = !ok;
            (refused == ok).then(|| {
                format!("{name}={value:?}: refused {refused}, the scripts' rule says {want}")
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Two listen settings set together: refused (the second, naming the first)
/// when they share a port (port 0, a free one, aside), as run.sh's claim
/// refuses them.
const PAIR: (&str, &str) = ("LISTEN_ADDR", "METRICS_ADDR");

/// (the first's value, the second's, whether the worker takes them).
const PAIRS: &[(&str, &str, bool)] = &[
    ("127.0.0.1:50051", "127.0.0.1:50051", false),
    ("0.0.0.0:50051", "127.0.0.1:50051", false),
    ("127.0.0.1:50051", "0.0.0.0:50051", false),
    ("127.0.0.1:50051", "127.0.0.2:50051", false),
    ("127.0.0.1:50051", "[::1]:50051", false),
    ("127.0.0.1:50051", "127.0.0.1:050051", false),
    ("127.0.0.1:50051", "127.0.0.1:51051", true),
    ("[::1]:50051", "127.0.0.1:51051", true),
    ("127.0.0.1:0", "127.0.0.1:0", true),
];

#[test]
fn two_listeners_on_one_port_are_refused_naming_both() {
    let settings = Settings {
        table: TABLE,
        owned_prefixes: &[],
        retired: &[],
    };
    let wrong: Vec<String> = PAIRS
        .iter()
        .filter_map(|&(a, b, ok)| {
            let (first, second) = PAIR;
            let vars = [(first, a), (second, b)];
            let env = vars.map(|(n, v)| (n.to_owned(), v.to_owned()));
            let refused = matches!(
                Config::from_vars(&settings, env),
                Err(e) if e.name == second && e.reason.contains(first)
            );
            let want = !ok;
            (refused == ok).then(|| format!("{vars:?}: refused {refused}, want {want}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

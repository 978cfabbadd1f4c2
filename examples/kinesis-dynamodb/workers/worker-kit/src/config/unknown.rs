//! Set variables that look like the worker's settings and are none.

use std::collections::HashMap;

use super::{ConfigError, Settings};

/// A variable in the worker's namespaces that is not a setting: most often a
/// typo, which would otherwise leave the default in force unnoticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The variable as set.
    pub name: String,
    /// The setting whose name is nearest to it, the likeliest meant.
    pub closest: &'static str,
}

impl Unknown {
    /// Logs it as the orchestrator logs its own, so one search finds both.
    pub fn warn(&self) {
        tracing::warn!(
            variable = %self.name,
            closest_setting = self.closest,
            "ignoring an environment variable that is not a setting (a typo?)"
        );
    }
}

/// A retired name stops start-up: it is an exact name no other program sets,
/// and the worker would otherwise ignore a setting someone meant it to read.
pub(super) fn reject_retired(
    settings: &Settings,
    vars: &HashMap<String, String>,
) -> Result<(), ConfigError> {
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    let retired = names.into_iter().find_map(|name| {
        let retired = settings.retired.iter().find(|r| r.name == name.as_str())?;
        Some((name, retired))
    });
    match retired {
        None => Ok(()),
        Some((name, retired)) => Err(ConfigError {
            name: name.clone(),
            value: vars[name].clone(),
            reason: format!(
                "the worker does not read it; set {} instead",
                retired.instead
            ),
        }),
    }
}

/// The set variables in the worker's namespaces that are not settings, by
/// name. They are reported, not refused, as the orchestrator does: the
/// namespaces are not the worker's alone (Kubernetes sets `<SERVICE>_PORT`,
/// `<SERVICE>_SERVICE_HOST` and the like for every Service in the namespace
/// unless a pod turns enableServiceLinks off, so a Service named `model` puts
/// `MODEL_PORT` in every pod), and a worker that fails to start on another
/// program's variable is worse than a default left in force.
pub(super) fn unknown(settings: &Settings, vars: &HashMap<String, String>) -> Vec<Unknown> {
    let known: Vec<&'static str> = settings.table.iter().map(|s| s.name).collect();
    let mut found: Vec<Unknown> = vars
        .keys()
        .filter(|name| {
            settings.owned_prefixes.iter().any(|p| name.starts_with(p))
                && !known.contains(&name.as_str())
        })
        .map(|name| Unknown {
            name: name.escape_debug().to_string(),
            closest: closest(name, &known),
        })
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// The name in `names` likeliest meant by `name`: among those in its first
/// word's namespace if any are (`MODEL_FILE` means `MODEL_PATH`), the one at
/// the least edit distance, the first on a tie.
fn closest(name: &str, names: &[&'static str]) -> &'static str {
    let word = name.split('_').next().unwrap_or_default();
    let same: Vec<&'static str> = names
        .iter()
        .copied()
        .filter(|n| {
            n.strip_prefix(word)
                .is_some_and(|rest| rest.starts_with('_'))
        })
        .collect();
    let names = if same.is_empty() { names } else { &same };
    let mut best = ("", usize::MAX);
    for &candidate in names {
        let d = distance(name, candidate);
        if d < best.1 {
            best = (candidate, d);
        }
    }
    best.0
}

/// The Levenshtein distance between `a` and `b`, in bytes (variable names
/// are ASCII).
fn distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diag + usize::from(ca != cb);
            diag = row[j + 1];
            row[j + 1] = (row[j + 1] + 1).min(row[j] + 1).min(substitute);
        }
    }
    row[b.len()]
}

//! An independent reading of a Prometheus text exposition: the Prometheus project's own Python
//! parser (`prometheus_client.parser`, installed by `cargo xtask test`) parses it, through
//! `tests/tools/parse_prometheus.py`, and the tests check what it understood.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde::Deserialize;

/// One metric family as the parser read it.
#[derive(Debug, Clone, Deserialize)]
pub struct Family {
    /// The family name (counters without `_total`).
    pub name: String,
    /// `counter`, `gauge`, …
    #[serde(rename = "type")]
    pub kind: String,
    pub help: String,
    pub samples: Vec<Sample>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Sample {
    /// The sample name (counters with `_total`).
    pub name: String,
    /// Label values, unescaped.
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Parses `text`, panicking with the parser's message when it is not a valid exposition.
pub fn parse(text: &str) -> Vec<Family> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tools/parse_prometheus.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (the metrics tests need it; `cargo xtask test` checks for it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("the exposition is written to the parser");
    let output = child.wait_with_output().expect("the parser finishes");
    assert!(
        output.status.success(),
        "the Prometheus parser rejected the exposition: {}\n--- exposition ---\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the parser's JSON")
}

/// The value of the sample `name` whose labels are exactly `labels`, if there is one.
pub fn value(families: &[Family], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let wanted: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| s.name == name && s.labels == wanted)
        .map(|s| s.value)
}

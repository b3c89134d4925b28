//! The closing line about the Spin end-to-end tests, from the report they write
//! (`HEXASPIN_SPIN_REPORT`: one `<ran|skipped>\t<test>\t<detail>` line per Spin start or skip).

use std::collections::BTreeSet;
use std::path::Path;

/// E.g. `spin tests: 8 ran on spin 4.1.0-pre0 (94a8fc8 2026-08-20), 0 skipped`, or the reasons
/// they were skipped.
pub fn summary(report: &Path) -> String {
    let text = std::fs::read_to_string(report).unwrap_or_default();
    summarise(&text)
}

fn summarise(text: &str) -> String {
    let mut ran = BTreeSet::new();
    let mut skipped = BTreeSet::new();
    let mut versions = BTreeSet::new();
    let mut reasons = BTreeSet::new();
    for line in text.lines() {
        let mut fields = line.splitn(3, '\t');
        let (Some(outcome), Some(test), Some(detail)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        match outcome {
            "ran" => {
                ran.insert(test);
                // "spin 4.1.0 (…) (postgres+redis)": the version is all but the deployment.
                let version = detail.rsplit_once(" (").map_or(detail, |(version, _)| version);
                versions.insert(version);
            }
            _ => {
                skipped.insert(test);
                reasons.insert(detail);
            }
        }
    }
    let versions = if versions.is_empty() {
        "no Spin".to_owned()
    } else {
        versions.into_iter().collect::<Vec<_>>().join(", ")
    };
    let mut line = format!(
        "spin tests: {} ran on {versions}, {} SKIPPED",
        ran.len(),
        skipped.len()
    );
    for reason in reasons {
        line.push_str(&format!("\n  SKIPPED because {reason}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_that_started_spin_several_times_count_once_and_versions_are_named() {
        let report = "ran\ta::one\tspin 4.1.0 (abc 2026-08-20) (sqlite+sqlite)\n\
                      ran\ta::one\tspin 4.1.0 (abc 2026-08-20) (postgres+redis)\n\
                      ran\tb::two\tspin 4.1.0 (abc 2026-08-20) (postgres+redis)\n";
        assert_eq!(
            summarise(report),
            "spin tests: 2 ran on spin 4.1.0 (abc 2026-08-20), 0 SKIPPED"
        );
    }

    #[test]
    fn skipped_tests_are_counted_with_their_reasons() {
        let report = "skipped\ta::one\t`spin` is not on PATH\nskipped\tb::two\t`spin` is not on PATH\n";
        assert_eq!(
            summarise(report),
            "spin tests: 0 ran on no Spin, 2 SKIPPED\n  SKIPPED because `spin` is not on PATH"
        );
    }
}

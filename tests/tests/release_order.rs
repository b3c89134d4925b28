//! deploy/scripts/release-order.sh, which CD runs before deploy.sh: a commit older than the
//! recorded release (CI runs finishing out of order) is not deployed over it. Driven against a
//! real git history and a `kubectl` that answers the release record as told.
//!
//! Tools: git and bash from PATH.

use std::path::Path;
use std::process::{Command, Output};

use hexaspin_tests::spin_up::workspace_root;

/// A repository with main `a → b → c` and a side line `a → d`, and a `kubectl` that prints
/// `record` (or fails when it is `None`).
struct History {
    dir: tempfile::TempDir,
}

impl History {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let history = Self { dir };
        history.git(&["init", "-q", "-b", "main"]);
        for name in ["a", "b", "c"] {
            history.commit(name);
        }
        history.git(&["checkout", "-q", "-b", "side", "HEAD~2"]);
        history.commit("d");
        history.git(&["checkout", "-q", "main"]);
        std::fs::create_dir(history.dir.path().join("bin")).expect("mkdir bin");
        history
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(self.repo())
            .output()
            .expect("run git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn repo(&self) -> &Path {
        self.dir.path()
    }

    fn commit(&self, name: &str) {
        std::fs::write(self.repo().join(name), name).expect("write");
        self.git(&["add", name]);
        self.git(&["commit", "-q", "-m", name]);
        self.git(&["tag", name]);
    }

    /// The full commit of tag `name`.
    fn sha(&self, name: &str) -> String {
        self.git(&["rev-parse", &format!("{name}^{{commit}}")])
    }

    /// Runs release-order.sh for `commit` with the record `refs` (`None`: kubectl fails).
    fn order(&self, commit: &str, refs: Option<&str>) -> Output {
        let kubectl = self.repo().join("bin/kubectl");
        let body = match refs {
            Some(refs) => format!(
                "#!/usr/bin/env bash\n[ \"$*\" = '-n hexaspin get configmap hexaspin-release --ignore-not-found -o jsonpath={{.data.refs}}' ] || {{ echo \"unexpected: $*\" >&2; exit 9; }}\nprintf '%s' '{refs}'\n"
            ),
            None => "#!/usr/bin/env bash\necho 'Unable to connect to the server' >&2\nexit 1\n".to_owned(),
        };
        std::fs::write(&kubectl, body).expect("write kubectl");
        let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&kubectl, mode).expect("chmod");
        let path = format!(
            "{}:{}",
            self.repo().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new(workspace_root().join("deploy/scripts/release-order.sh"))
            .arg(commit)
            .current_dir(self.repo())
            .env("PATH", path)
            .env_remove("NAMESPACE")
            .output()
            .expect("run release-order.sh")
    }

    /// The refs deploy.sh records for images tagged with 12 digits of `name`'s commit.
    fn recorded(&self, name: &str) -> String {
        let tag = &self.sha(name)[..12];
        format!("ghcr.io/o/hexaspin:{tag} ghcr.io/o/hexaspin-worker:{tag} ghcr.io/o/hexaspin-users:{tag}")
    }
}

fn assert_exit(out: &Output, code: i32, says: &str) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(code), "{text}");
    assert!(text.contains(says), "expected {says:?} in:\n{text}");
}

#[test]
fn a_commit_older_than_the_recorded_release_is_not_deployed() {
    let history = History::new();
    let recorded = history.recorded("c");
    assert_exit(
        &history.order(&history.sha("b"), Some(&recorded)),
        3,
        "is newer than",
    );
    assert_exit(
        &history.order(&history.sha("a"), Some(&recorded)),
        3,
        "is newer than",
    );
}

#[test]
fn a_newer_commit_the_same_one_or_a_first_deploy_goes_ahead() {
    let history = History::new();
    let b = history.recorded("b");
    assert_exit(&history.order(&history.sha("c"), Some(&b)), 0, "deploying");
    assert_exit(
        &history.order(&history.sha("b"), Some(&b)),
        0,
        "deploying it again",
    );
    assert_exit(
        &history.order(&history.sha("c"), Some("")),
        0,
        "no release recorded",
    );
}

#[test]
fn a_record_on_another_line_of_history_or_naming_no_commit_is_deployed_over_with_a_warning() {
    let history = History::new();
    // main rewritten, or a release deployed by hand from a branch: neither descends from the other.
    let side = history.recorded("d");
    assert_exit(
        &history.order(&history.sha("c"), Some(&side)),
        0,
        "the recorded release is",
    );
    // A tag that is a word could name a branch: never read as a commit.
    history.git(&["branch", "dev", "c"]);
    let word = "localhost:5000/hexaspin:dev localhost:5000/hexaspin-worker:dev";
    assert_exit(
        &history.order(&history.sha("b"), Some(word)),
        0,
        "names no single commit of this clone",
    );
    let unknown = "ghcr.io/o/hexaspin:0123456789ab ghcr.io/o/hexaspin-worker:0123456789ab";
    assert_exit(
        &history.order(&history.sha("b"), Some(unknown)),
        0,
        "names no single commit of this clone",
    );
}

#[test]
fn a_git_ref_named_like_the_recorded_tag_does_not_choose_the_commit_compared_with() {
    let history = History::new();
    let recorded = history.recorded("b");
    // Someone who may push tags names one after the record's tag and points it at the newest
    // commit: read as a ref, every deploy of c would look older than the record and be skipped.
    history.git(&["checkout", "-q", "-b", "ahead", "c"]);
    history.commit("e");
    history.git(&["checkout", "-q", "main"]);
    let tag = history.sha("b")[..12].to_owned();
    history.git(&["tag", &tag, "e"]);
    assert_exit(&history.order(&history.sha("c"), Some(&recorded)), 0, "deploying");
    // And pointed at an unrelated line, it must not make an older commit look deployable either.
    let c = history.recorded("c");
    history.git(&["tag", &history.sha("c")[..12], "d"]);
    assert_exit(&history.order(&history.sha("b"), Some(&c)), 3, "is newer than");
}

#[test]
fn an_unreadable_record_or_an_unknown_commit_stops_the_deploy() {
    let history = History::new();
    assert_exit(
        &history.order(&history.sha("c"), None),
        2,
        "cannot read the recorded release",
    );
    let recorded = history.recorded("b");
    assert_exit(
        &history.order("0123456789abcdef0123456789abcdef01234567", Some(&recorded)),
        2,
        "is not a commit",
    );
    let no_args = Command::new(workspace_root().join("deploy/scripts/release-order.sh"))
        .output()
        .expect("run");
    assert_exit(&no_args, 2, "usage: release-order.sh <commit>");
}

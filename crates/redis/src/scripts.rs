//! The Lua scripts, each with `lib.lua` (and, for job scripts, the job row's `JOB_FIELDS`, the
//! counting rules' `OUTCOME_COUNTERS` and `lib_jobs.lua`) in front, and their SHA-1 for `EVALSHA`.

use std::sync::{LazyLock, OnceLock};

use hexaspin_core::job::row::JOB_COLUMNS;
use hexaspin_core::metrics::counted_states;

/// A script ready to run.
#[derive(Debug)]
pub struct Script {
    /// Its file name, for errors.
    pub name: &'static str,
    source: LazyLock<String>,
    sha1: OnceLock<String>,
}

impl Script {
    const fn new(name: &'static str, source: LazyLock<String>) -> Self {
        Self {
            name,
            source,
            sha1: OnceLock::new(),
        }
    }

    /// The full source (library + body).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The SHA-1 Redis knows the script by.
    pub fn sha1(&self) -> &str {
        self.sha1
            .get_or_init(|| sha1_smol::Sha1::from(self.source()).digest().to_string())
    }
}

/// The job row's fields as a Lua table, from the one definition of the job row.
pub fn job_fields_lua() -> String {
    let quoted: Vec<String> = JOB_COLUMNS.iter().map(|c| format!("'{c}'")).collect();
    format!("local JOB_FIELDS = {{{}}}", quoted.join(", "))
}

/// The counter entering each state adds to, as a Lua table, from the one statement of the
/// counting rules.
pub fn outcome_counters_lua() -> String {
    let entries: Vec<String> = counted_states()
        .into_iter()
        .map(|(state, counter)| format!("{} = '{counter}'", state.as_str()))
        .collect();
    format!("local OUTCOME_COUNTERS = {{{}}}", entries.join(", "))
}

macro_rules! script {
    // A job script: the shared library, the job helpers, any further helpers, the body.
    ($name:ident $(, with $helpers:literal)*) => {
        /// `scripts/<name>.lua`.
        pub static $name: Script = Script::new(
            stringify!($name),
            LazyLock::new(|| {
                [
                    include_str!("../scripts/lib.lua"),
                    &super::job_fields_lua(),
                    &super::outcome_counters_lua(),
                    include_str!("../scripts/lib_jobs.lua"),
                    $(include_str!(concat!("../scripts/", $helpers)),)*
                    include_str!(concat!("../scripts/", stringify!($name), ".lua")),
                ]
                .join("\n")
            }),
        );
    };
    // A small script that needs the shared library and some helper files.
    ($name:ident, lean with $($helper:literal),+) => {
        /// `scripts/<name>.lua`.
        pub static $name: Script = Script::new(
            stringify!($name),
            LazyLock::new(|| {
                [
                    include_str!("../scripts/lib.lua"),
                    $(include_str!(concat!("../scripts/", $helper)),)+
                    include_str!(concat!("../scripts/", stringify!($name), ".lua")),
                ]
                .join("\n")
            }),
        );
    };
    // A small script that needs only the shared library (kept lean: EVALSHA runs it all per call).
    ($name:ident, lean) => {
        /// `scripts/<name>.lua`.
        pub static $name: Script = Script::new(
            stringify!($name),
            LazyLock::new(|| {
                [
                    include_str!("../scripts/lib.lua"),
                    include_str!(concat!("../scripts/", stringify!($name), ".lua")),
                ]
                .join("\n")
            }),
        );
    };
}

/// Declares every script once: the dispatch scripts (job scripts with the one-dispatch function
/// in front too), the keyed dispatch (that and the key lookup too), the keyed job access (a job
/// script with the key lookup in front), the job scripts (with the job
/// row and the job helpers in front), the limiter's (with the all-or-none take in front), the key
/// lookup's (and the lookup), the lean ones, and, for the tests, the list of job scripts.
macro_rules! scripts {
    (
        dispatch: [$($dispatch:ident),* $(,)?],
        keyed_dispatch: [$($keyed:ident),* $(,)?],
        keyed_job: [$($keyed_job:ident),* $(,)?],
        job: [$($job:ident),* $(,)?],
        limiter: [$($limiter:ident),* $(,)?],
        key_lookup: [$($lookup:ident),* $(,)?],
        lean: [$($lean:ident),* $(,)?] $(,)?
    ) => {
        $(script!($dispatch, with "lib_dispatch.lua");)*
        $(script!($keyed, with "lib_dispatch.lua", with "lib_take.lua", with "lib_key_lookup.lua");)*
        $(script!($keyed_job, with "lib_take.lua", with "lib_key_lookup.lua");)*
        $(script!($job);)*
        $(script!($limiter, lean with "lib_take.lua");)*
        $(script!($lookup, lean with "lib_take.lua", "lib_key_lookup.lua");)*
        $(script!($lean, lean);)*
        /// Every job script.
        #[cfg(test)]
        pub static JOB_SCRIPTS: &[&Script] = &[$(&$dispatch,)* $(&$keyed,)* $(&$keyed_job,)* $(&$job),*];
    };
}

#[allow(non_upper_case_globals)]
mod all {
    use std::sync::LazyLock;

    use super::Script;

    scripts!(
        dispatch: [dispatch, dispatch_batch],
        keyed_dispatch: [keyed_dispatch],
        keyed_job: [keyed_job],
        job: [
            find_job, list_jobs, cancel_job, queue_depths, retry_dead_job, delete_job,
            promote_due, claim, ack, ack_many, fail, release, cancelled, rescue_expired, clean_finished,
            reconcile_depths,
        ],
        limiter: [take],
        key_lookup: [take_find_key],
        lean: [give_back, key_cache_fence, key_cache_put, add_counts, read_counters, heartbeat, heartbeats, forget_workers, forget_worker],
    );
}

pub use all::*;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The field names a script names in its `redis.call('H…', job_key(…), …)` calls.
    fn job_hash_fields(source: &str) -> BTreeSet<String> {
        let mut fields = BTreeSet::new();
        for (at, _) in source.match_indices("job_key(") {
            let call_start = source[..at].rfind("redis.call(").unwrap_or(at);
            if !source[call_start..at].contains("'H") {
                continue; // not a hash command on the job
            }
            let mut depth = 0;
            let mut end = call_start;
            for (offset, c) in source[call_start..].char_indices() {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                if depth == 0 && c == ')' {
                    end = call_start + offset;
                    break;
                }
            }
            let call = &source[call_start..end];
            for quoted in call.split('\'').skip(1).step_by(2) {
                let is_field = quoted.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
                if is_field {
                    fields.insert(quoted.to_owned());
                }
            }
        }
        fields
    }

    #[test]
    fn job_scripts_read_the_job_row_and_the_counting_rules_from_their_one_definition() {
        for script in JOB_SCRIPTS {
            assert!(
                script.source().contains(&job_fields_lua()),
                "{} lacks the generated JOB_FIELDS",
                script.name
            );
            assert!(
                script.source().contains(&outcome_counters_lua()),
                "{} lacks the generated OUTCOME_COUNTERS",
                script.name
            );
        }
        assert_eq!(
            outcome_counters_lua(),
            "local OUTCOME_COUNTERS = {succeeded = 'jobs_succeeded', failed = 'jobs_failed', \
             retrying = 'jobs_retried', dead = 'jobs_failed', cancelled = 'jobs_cancelled'}"
        );
        assert_eq!(
            job_fields_lua(),
            format!("local JOB_FIELDS = {{'{}'}}", JOB_COLUMNS.join("', '"))
        );
    }

    #[test]
    fn job_scripts_write_and_read_only_job_row_fields_and_fill_every_one() {
        let columns: BTreeSet<String> = JOB_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
        let mut named = BTreeSet::new();
        for script in JOB_SCRIPTS {
            let fields = job_hash_fields(script.source());
            let stray: Vec<_> = fields.difference(&columns).collect();
            assert!(
                stray.is_empty(),
                "{} names fields outside the job row: {stray:?}",
                script.name
            );
            named.extend(fields);
        }
        // `state` is written by lib_jobs.lua's `move`, shared by every job script.
        let unnamed: Vec<_> = columns.difference(&named).collect();
        assert!(unnamed.is_empty(), "no job script ever sets {unnamed:?}");
    }
}

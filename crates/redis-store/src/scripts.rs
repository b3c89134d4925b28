//! The Lua scripts, each with `lib.lua` (and, for job scripts, `lib_jobs.lua`) in front, and
//! their SHA-1 for `EVALSHA`.

use std::sync::OnceLock;

/// A script ready to run.
#[derive(Debug)]
pub struct Script {
    /// Its file name, for errors.
    pub name: &'static str,
    /// The full source (library + body).
    pub source: &'static str,
    sha1: OnceLock<String>,
}

impl Script {
    const fn new(name: &'static str, source: &'static str) -> Self {
        Self {
            name,
            source,
            sha1: OnceLock::new(),
        }
    }

    /// The SHA-1 Redis knows the script by.
    pub fn sha1(&self) -> &str {
        self.sha1
            .get_or_init(|| sha1_smol::Sha1::from(self.source).digest().to_string())
    }
}

macro_rules! script {
    // A job script: the shared library, the job helpers, the body.
    ($name:ident) => {
        /// `scripts/<name>.lua`.
        pub static $name: Script = Script::new(
            stringify!($name),
            concat!(
                include_str!("../scripts/lib.lua"),
                "\n",
                include_str!("../scripts/lib_jobs.lua"),
                "\n",
                include_str!(concat!("../scripts/", stringify!($name), ".lua"))
            ),
        );
    };
    // A small script that needs only the shared library (kept lean: EVALSHA runs it all per call).
    ($name:ident, lean) => {
        /// `scripts/<name>.lua`.
        pub static $name: Script = Script::new(
            stringify!($name),
            concat!(
                include_str!("../scripts/lib.lua"),
                "\n",
                include_str!(concat!("../scripts/", stringify!($name), ".lua"))
            ),
        );
    };
}

#[allow(non_upper_case_globals)]
mod all {
    use super::Script;

    script!(dispatch);
    script!(find_job);
    script!(list_jobs);
    script!(cancel_job);
    script!(queue_depths);
    script!(retry_dead_job);
    script!(delete_job);
    script!(promote_due);
    script!(claim);
    script!(ack);
    script!(fail);
    script!(release);
    script!(cancelled);
    script!(rescue_expired);
    script!(clean_finished);
    script!(hit, lean);
    script!(add_counts, lean);
    script!(read_counters, lean);
    script!(heartbeat, lean);
    script!(heartbeats, lean);
    script!(forget_workers, lean);
    script!(forget_worker, lean);
}

pub use all::*;

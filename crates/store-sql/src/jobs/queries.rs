//! The job statements (`queries/sqlite/jobs/*.sql`). Those that return jobs say `{job_columns}`
//! where the job row's columns go: they are filled in from the one job-row definition
//! ([`hexaspin_core::job::row::JOB_COLUMNS`]) the first time each statement is used.

macro_rules! job_query {
    ($name:ident) => {
        pub const $name: &str = include_str!(concat!(
            "../../queries/sqlite/jobs/",
            stringify!($name),
            ".sql"
        ));
    };
    ($name:ident, returns_jobs) => {
        pub static $name: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            include_str!(concat!(
                "../../queries/sqlite/jobs/",
                stringify!($name),
                ".sql"
            ))
            .replace("{job_columns}", &super::super::codec::job_column_list())
        });
    };
}

#[allow(non_upper_case_globals)]
mod statements {
    job_query!(find_idempotent);
    job_query!(remember_idempotent);
    job_query!(read_quota);
    job_query!(write_quota);
    job_query!(read_key_storage);
    job_query!(insert_job, returns_jobs);
    job_query!(find_job, returns_jobs);
    job_query!(list_jobs, returns_jobs);
    job_query!(cancel_job, returns_jobs);
    job_query!(queue_depths);
    job_query!(retry_dead_job, returns_jobs);
    job_query!(delete_job);
    job_query!(promote_due);
    job_query!(claim, returns_jobs);
    job_query!(ack);
    job_query!(ack_many);
    job_query!(fail);
    job_query!(release);
    job_query!(cancelled);
    job_query!(rescue_expired);
    job_query!(clean_finished);
    job_query!(clean_idempotency);
    job_query!(clean_buckets);
    job_query!(add_counts);
    job_query!(read_counters);
    job_query!(heartbeat);
    job_query!(heartbeats);
    job_query!(forget_workers);
    job_query!(forget_worker);
}

pub use statements::*;

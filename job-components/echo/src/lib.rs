//! Job component `echo`: returns its payload unchanged. The smallest useful job, and the one the
//! smoke test and the benchmarks run.

// The export macro expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_job_sdk::bindings::export_job;
use hexaspin_job_sdk::{Handler, Job, JobError};

struct Echo;

impl Handler for Echo {
    fn run(job: Job) -> Result<String, JobError> {
        Ok(job.payload)
    }
}

export_job!(Echo);

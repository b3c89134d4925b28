//! Job component `webhook`: POSTs `payload.body` (JSON) to `payload.url`, with the job id as
//! `Idempotency-Key` so a receiver can drop repeats of a retried attempt.
//!
//! 2xx succeeds with `{"status": …}`; 408, 429, 5xx and network errors ask for a retry; other
//! statuses, a bad payload or a URL the worker does not allow fail without retry. The URL appears
//! in logs and errors only as scheme, host and port: its path and query may carry tokens.

// The export macro expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_job_sdk::bindings::export_job;
use hexaspin_job_sdk::{Handler, Job, JobError, log, redact_url};
use serde::Deserialize;
use wstd::http::error::ErrorCode;
use wstd::http::{Client, Request};

#[derive(Deserialize)]
struct Hook {
    url: String,
    #[serde(default)]
    body: serde_json::Value,
}

struct Webhook;

impl Handler for Webhook {
    fn run(job: Job) -> Result<String, JobError> {
        let hook: Hook = serde_json::from_str(&job.payload)
            .map_err(|e| JobError::Fail(format!("the payload must be {{\"url\": …, \"body\": …}}: {e}")))?;
        log::info(&format!(
            "attempt {}: POST {}",
            job.attempt,
            redact_url(&hook.url)
        ));
        wstd::runtime::block_on(deliver(&job.id, hook))
    }
}

async fn deliver(job_id: &str, hook: Hook) -> Result<String, JobError> {
    let request = Request::post(&hook.url)
        .header("content-type", "application/json")
        .header("idempotency-key", job_id)
        .body(hook.body.to_string())
        .map_err(|e| JobError::Fail(format!("invalid request to {}: {e}", redact_url(&hook.url))))?;
    let response = match Client::new().send(request).await {
        Ok(response) => response,
        Err(error) => {
            return Err(match error.downcast_ref::<ErrorCode>() {
                Some(ErrorCode::HttpRequestDenied) => {
                    JobError::Fail(format!("{} is not an allowed host", redact_url(&hook.url)))
                }
                Some(ErrorCode::HttpRequestUriInvalid) => {
                    JobError::Fail(format!("invalid URL {}", redact_url(&hook.url)))
                }
                _ => JobError::Retry(format!("delivery failed: {error}")),
            });
        }
    };
    let status = response.status().as_u16();
    match status {
        200..=299 => Ok(serde_json::json!({ "status": status }).to_string()),
        408 | 429 | 500..=599 => Err(JobError::Retry(format!("the receiver answered {status}"))),
        _ => Err(JobError::Fail(format!(
            "the receiver refused the delivery with {status}"
        ))),
    }
}

export_job!(Webhook);

//! `POST /api/jobs/batch`: up to [`MAX_BATCH_JOBS`] jobs in one request, each judged on its own
//! (validation, the key's uses, the rate and daily quota) and all stored with one job-store call.
//! The answer is 200 with one result per job, each what `POST /api/jobs` would have answered for
//! it alone; the request as a whole fails only for what concerns all of it (key, body, store).

use hexaspin_core::Timestamp;
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::{ApiKeyStore, AuditLog, Entropy, JobStore, KeyCache, RateLimiter};
use hexaspin_core::use_cases::{self, MAX_BATCH_JOBS, VerifiedKey};
use http::{StatusCode, header};

use super::dto::{BatchBody, BatchResultView, BatchView, DispatchBody, JobView};
use super::{ENVELOPE_BYTES, JobsApi, job_request, problems};
use crate::body::json_body;
use crate::metrics::requests::Counted;
use crate::response::json;
use crate::{ApiError, Request, Response};

/// Where batches are sent.
pub const BATCH_PATH: &str = "/api/jobs/batch";
/// The most body a batch may carry, whatever the payload limit: 8 MiB.
const MAX_BATCH_BODY_BYTES: usize = 8 << 20;

/// A batch's body limit: every job at the payload limit, up to [`MAX_BATCH_BODY_BYTES`].
pub fn body_limit(max_payload_bytes: usize) -> usize {
    (max_payload_bytes + ENVELOPE_BYTES)
        .saturating_mul(MAX_BATCH_JOBS)
        .min(MAX_BATCH_BODY_BYTES)
}

impl<K, J, E> JobsApi<'_, K, J, E>
where
    K: ApiKeyStore + AuditLog,
    J: JobStore + RateLimiter + KeyCache,
    E: Entropy,
{
    pub(super) async fn create_batch(
        &self,
        request: &Request,
        key: &VerifiedKey,
        now: Timestamp,
    ) -> Result<Response, ApiError> {
        if request.headers().contains_key("idempotency-key") {
            // One key cannot stand for many jobs; silently ignoring it would make retries unsafe.
            return Err(hexaspin_core::DomainError::invalid(
                "Idempotency-Key",
                "a batch takes an idempotency_key on each job, not the header",
            )
            .into());
        }
        let max_payload = self.settings.dispatch()?.max_payload_bytes;
        let body: BatchBody = json_body(request, body_limit(max_payload), false)?;
        if body.jobs.is_empty() || body.jobs.len() > MAX_BATCH_JOBS {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_batch",
                format!("a batch holds from 1 to {MAX_BATCH_JOBS} jobs"),
            ));
        }
        // Jobs that do not even parse are answered as such; the others go on, in order.
        let mut counts = Vec::new();
        let mut results: Vec<Option<BatchResultView>> = Vec::new();
        let mut parsed = Vec::new();
        for job in body.jobs {
            match batch_job_request(job) {
                Ok(request) => {
                    parsed.push(request);
                    results.push(None);
                }
                Err(problem) => results.push(Some(refused_view(problem, &mut counts))),
            }
        }
        let ctx = self.dispatch_context()?;
        let mut dispatched = if parsed.is_empty() {
            Vec::new()
        } else {
            use_cases::dispatch_jobs(&ctx, key, parsed, now)
                .await
                .map_err(|e| problems::dispatch_error(e, now))?
        }
        .into_iter();
        let mut last_decision = None;
        // Jobs refused at each storage cap, logged once for the request.
        let mut at_caps: std::collections::BTreeMap<&'static str, usize> = Default::default();
        let results: Vec<BatchResultView> = results
            .into_iter()
            .map(|result| {
                result.unwrap_or_else(|| match dispatched.next() {
                    Some(Ok(done)) => {
                        last_decision = done.decision.or(last_decision);
                        BatchResultView {
                            status: if done.duplicate { 200 } else { 202 },
                            job: Some(JobView::of(&done.job)),
                            code: None,
                            detail: None,
                            retry_after: None,
                        }
                    }
                    Some(Err(refused)) => {
                        if let Some(code) = problems::storage_refusal(&refused) {
                            *at_caps.entry(code).or_default() += 1;
                        }
                        refused_view(problems::dispatch_error(refused, now), &mut counts)
                    }
                    None => refused_view(
                        ApiError::internal("dispatch batch", &"fewer outcomes than jobs"),
                        &mut counts,
                    ),
                })
            })
            .collect();
        for (code, jobs) in at_caps {
            crate::log::storage_cap_reached(key.id.as_str(), code, jobs);
        }
        let view = BatchView {
            accepted: results.iter().filter(|r| r.status == 202).count(),
            refused: results.iter().filter(|r| r.status >= 400).count(),
            results,
        };
        let mut response = json(StatusCode::OK, &view);
        if let Some(decision) = last_decision {
            problems::rate_limit_headers(response.headers_mut(), &decision);
        }
        if !counts.is_empty() {
            response.extensions_mut().insert(Counted(counts));
        }
        Ok(response)
    }
}

/// One job of a batch: its `idempotency_key`, and the rest read as `POST /api/jobs` reads a body.
fn batch_job_request(
    mut job: serde_json::Map<String, serde_json::Value>,
) -> Result<hexaspin_core::use_cases::JobRequest, ApiError> {
    let idempotency_key = match job.remove("idempotency_key") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(key)) => Some(key),
        Some(_) => {
            return Err(hexaspin_core::DomainError::invalid("idempotency_key", "must be a string").into());
        }
    };
    let body: DispatchBody = serde_json::from_value(serde_json::Value::Object(job)).map_err(|error| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            error.to_string(),
        )
    })?;
    job_request(body, idempotency_key.as_deref())
}

/// A refused job's result: the problem's status, code, detail and `Retry-After`; what the
/// refusal counts in `/metrics` goes to `counts`.
fn refused_view(problem: ApiError, counts: &mut Vec<Series>) -> BatchResultView {
    counts.extend(problem.counts.iter().cloned());
    let retry_after = problem
        .headers
        .iter()
        .find(|(name, _)| name == header::RETRY_AFTER)
        .and_then(|(_, value)| value.to_str().ok()?.parse().ok());
    BatchResultView {
        status: problem.status.as_u16(),
        job: None,
        code: Some(problem.code),
        detail: Some(problem.detail),
        retry_after,
    }
}

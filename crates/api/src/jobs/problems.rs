//! How dispatch failures look to clients: status, stable code, and the rate-limit headers.

use hexaspin_core::metrics::Series;
use hexaspin_core::quota::{Decision, RejectReason};
use hexaspin_core::use_cases::{DispatchError, JobAdminError, KeyRejection};
use http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::ApiError;

/// The quota-rejection reason for a key whose `remaining` budget is used up (the response code
/// is `quota_exhausted`, as for the daily quota; the metric tells them apart).
const USES_EXHAUSTED: &str = "uses_exhausted";

/// Whole seconds, rounded up (a client that waits this long is past the limit).
fn seconds_up(us: i64) -> u64 {
    u64::try_from(us.max(0)).unwrap_or(0).div_ceil(1_000_000)
}

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (IETF draft names, seconds).
pub fn rate_limit_headers(headers: &mut HeaderMap, decision: &Decision) {
    if decision.limit == u64::MAX {
        return; // no limit applies to this key
    }
    let mut set = |name: &'static str, value: u64| {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            headers.insert(name, value);
        }
    };
    set("ratelimit-limit", decision.limit);
    set("ratelimit-remaining", decision.remaining);
    set("ratelimit-reset", seconds_up(decision.reset_after_us));
}

/// Adds `Retry-After` in whole seconds (at least 1), rounded up from `retry_after_us`.
pub(crate) fn with_retry_after(mut problem: ApiError, retry_after_us: i64) -> ApiError {
    if let Ok(value) = HeaderValue::from_str(&seconds_up(retry_after_us).max(1).to_string()) {
        problem.headers.push((header::RETRY_AFTER, value));
    }
    problem
}

impl From<JobAdminError> for ApiError {
    fn from(error: JobAdminError) -> Self {
        match error {
            JobAdminError::NotFound => ApiError::not_found(),
            JobAdminError::NotDead => ApiError::new(StatusCode::CONFLICT, "job_not_dead", error.to_string()),
            JobAdminError::Running => ApiError::new(StatusCode::CONFLICT, "job_running", error.to_string()),
            JobAdminError::Store(e) => e.into(),
        }
    }
}

/// The code of a refusal an operator must be able to trace to its key (one at a storage cap).
pub fn storage_refusal(error: &DispatchError) -> Option<&'static str> {
    match error {
        DispatchError::Refused(decision) => match decision.rejected {
            Some(RejectReason::ScheduledLimit) => Some("scheduled_limit_reached"),
            Some(RejectReason::StorageLimit) => Some("storage_limit_reached"),
            _ => None,
        },
        _ => None,
    }
}

/// 429 for a refused quota, with all headers (a storage cap has no `Retry-After`: room comes back
/// as the key's jobs run and are cleaned away, at no time the service can promise).
pub fn refused(decision: &Decision) -> ApiError {
    let (code, detail) = match decision.rejected {
        Some(RejectReason::QuotaExhausted) => (
            "quota_exhausted",
            "the daily job quota of this API key is used up",
        ),
        Some(RejectReason::ScheduledLimit) => (
            "scheduled_limit_reached",
            "this API key has as many jobs waiting for a future time as it may; dispatch them later",
        ),
        Some(RejectReason::StorageLimit) => (
            "storage_limit_reached",
            "the payloads of this API key's stored jobs would exceed the bytes it may keep; \
             wait for finished jobs to be cleaned or delete some",
        ),
        _ => (
            "rate_limited",
            "too many jobs in too short a time for this API key",
        ),
    };
    let problem =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, detail).counting(Series::quota_rejection(code));
    let mut problem = if decision.retry_after_us > 0 {
        with_retry_after(problem, decision.retry_after_us)
    } else {
        problem
    };
    let mut headers = HeaderMap::new();
    rate_limit_headers(&mut headers, decision);
    for (name, value) in headers.iter() {
        problem.headers.push((name.clone(), value.clone()));
    }
    problem
}

/// 429 when a client address has failed verification too often.
pub fn too_many_failures(decision: &Decision) -> ApiError {
    let problem = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_failed_attempts",
        "too many requests with API keys that did not verify (or are being checked at once) from this address",
    );
    with_retry_after(problem, decision.retry_after_us)
}

/// 401 (or 429 for used-up keys) for a key that did not verify.
pub fn key_rejected(rejection: KeyRejection) -> ApiError {
    let (status, code) = match rejection {
        KeyRejection::Unknown => (StatusCode::UNAUTHORIZED, "invalid_api_key"),
        KeyRejection::Revoked => (StatusCode::UNAUTHORIZED, "api_key_revoked"),
        KeyRejection::Expired => (StatusCode::UNAUTHORIZED, "api_key_expired"),
        KeyRejection::Disabled => (StatusCode::UNAUTHORIZED, "api_key_disabled"),
        KeyRejection::Exhausted => (StatusCode::TOO_MANY_REQUESTS, "quota_exhausted"),
    };
    let problem = ApiError::new(status, code, rejection.to_string());
    if status == StatusCode::UNAUTHORIZED {
        problem.with_header(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
    } else {
        problem.counting(Series::quota_rejection(USES_EXHAUSTED))
    }
}

/// Every other dispatch failure.
pub fn dispatch_error(error: DispatchError, now: hexaspin_core::Timestamp) -> ApiError {
    match error {
        DispatchError::Key(rejection) => key_rejected(rejection),
        DispatchError::MissingScope(scope) => ApiError::new(
            StatusCode::FORBIDDEN,
            "missing_scope",
            format!("the API key lacks the {scope} scope"),
        ),
        DispatchError::Invalid(e) => e.into(),
        DispatchError::UnknownKind(kind) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_kind",
            format!("{kind:?} is not a job kind this service runs"),
        ),
        DispatchError::PayloadTooLarge(limit) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the payload exceeds {limit} bytes"),
        ),
        DispatchError::Refused(decision) => refused(&decision),
        DispatchError::TooManyFailures(decision) => too_many_failures(&decision),
        DispatchError::UsesExhausted { retry_at } => {
            let problem = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "quota_exhausted",
                "this API key has no uses left",
            )
            .counting(Series::quota_rejection(USES_EXHAUSTED));
            match retry_at {
                Some(at) => {
                    let wait_us = (at.as_millis() - now.as_millis()).saturating_mul(1000);
                    with_retry_after(problem, wait_us)
                }
                None => problem,
            }
        }
        DispatchError::Entropy(e) => ApiError::internal("entropy", &e),
        DispatchError::Store(e) => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use hexaspin_core::Timestamp;
    use hexaspin_core::metrics::{QUOTA_REJECTION_REASONS, Series};
    use hexaspin_core::quota::{Decision, RejectReason};
    use hexaspin_core::use_cases::{DispatchError, KeyRejection};

    use super::*;
    use crate::metrics::requests::Counted;

    fn counted(error: ApiError) -> Vec<Series> {
        let response = error.into_response();
        response
            .extensions()
            .get::<Counted>()
            .map(|c| c.0.clone())
            .unwrap_or_default()
    }

    #[test]
    fn every_quota_refusal_is_counted_with_a_known_reason() {
        let decision = |reason| Decision {
            rejected: Some(reason),
            limit: 10,
            remaining: 0,
            reset_after_us: 1_000_000,
            retry_after_us: 1_000_000,
        };
        let refusals = [
            refused(&decision(RejectReason::RateLimited)),
            refused(&decision(RejectReason::QuotaExhausted)),
            key_rejected(KeyRejection::Exhausted),
            dispatch_error(
                DispatchError::UsesExhausted { retry_at: None },
                Timestamp::from_millis(0),
            ),
        ];
        let reasons: Vec<String> = refusals
            .into_iter()
            .flat_map(counted)
            .map(|series| series.labels()[0].clone())
            .collect();
        assert_eq!(
            reasons,
            [
                "rate_limited",
                "quota_exhausted",
                "uses_exhausted",
                "uses_exhausted"
            ]
        );
        assert!(
            reasons
                .iter()
                .all(|r| QUOTA_REJECTION_REASONS.contains(&r.as_str()))
        );
        assert!(
            counted(key_rejected(KeyRejection::Revoked)).is_empty(),
            "a bad key is not a quota refusal"
        );
    }
}

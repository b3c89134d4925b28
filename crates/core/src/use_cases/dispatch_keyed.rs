//! Dispatching with a presented key in one round trip where the store can: the key's check, the
//! failed-verification charge, the quota, the enqueue and the request's counts in one step
//! ([`KeyCache::dispatch_with_cached_key`]), with [`authorize_key_attempt`] then
//! [`dispatch_job`](super::dispatch_job) as the path for everything the store leaves to us.
//!
//! The outcome is the two-step path's in every case: the same answers, charges and counts. What
//! changes is where a request waits: with the key cached, once.

use crate::Timestamp;
use crate::api_key::PresentedKey;
use crate::attempts::Attempt;
use crate::ports::{
    ApiKeyStore, DispatchOutcome, Entropy, JobStore, KeyCache, KeyedDispatch, KeyedDispatchReply,
    OutcomeCounts, RateLimiter, StoreError,
};
use crate::use_cases::dispatch::{
    dispatch_validated, dispatched, refused_attempt, settle_key_attempt, validate_for,
};
use crate::use_cases::verify_key::verify_record;
use crate::use_cases::{
    DispatchContext, DispatchError, Dispatched, JobRequest, KeyCheck, authorize_key_attempt,
};

/// A dispatch with a presented key, and whether its answer was counted already.
#[derive(Debug)]
pub struct KeyedDispatchResult {
    /// The dispatch, or why it did not happen.
    pub result: Result<Dispatched, DispatchError>,
    /// True when the store added the answer's counts (see [`OutcomeCounts`]).
    pub counted: bool,
}

impl From<Result<Dispatched, DispatchError>> for KeyedDispatchResult {
    fn from(result: Result<Dispatched, DispatchError>) -> Self {
        Self {
            result,
            counted: false,
        }
    }
}

/// Verifies `presented` for `scope` as [`authorize_key_attempt`] does and dispatches `request` as
/// [`dispatch_job`](super::dispatch_job) does, in one store round trip when the store has the key
/// cached (see [`KeyedDispatch`]). `counts` are what each outcome's answer adds to `/metrics`.
#[allow(clippy::too_many_arguments)] // one request's parts, each used once
pub async fn dispatch_with_key<K, J, E>(
    ctx: &DispatchContext<'_, K, J, E>,
    check: KeyCheck<'_>,
    presented: &str,
    scope: &'static str,
    request: JobRequest,
    counts: &OutcomeCounts,
    now: Timestamp,
) -> KeyedDispatchResult
where
    K: ApiKeyStore,
    J: JobStore + RateLimiter + KeyCache,
    E: Entropy,
{
    let Ok(parsed) = PresentedKey::parse(presented.trim()) else {
        // Refused (and charged) by the two-step path.
        return two_steps(ctx, check, presented, scope, request, now).await.into();
    };
    let idempotency_key = request.idempotency_key.clone();
    // The key's own concurrency limit is filled in by whoever learns the key.
    let job = match validate_for(ctx, parsed.id(), None, request, now) {
        Ok(job) => job,
        // An invalid job from a key that does not verify is answered as the key's failure.
        Err(invalid) => {
            return authorize_key_attempt(ctx.keys, ctx.jobs, check, presented, scope, now)
                .await
                .and(Err(invalid))
                .into();
        }
    };
    let presented_hash = check.hasher.hash(parsed.id(), parsed.secret());
    let buckets = Attempt::key_verification_buckets(check.failures, check.client.clone());
    let call = KeyedDispatch {
        buckets: &buckets,
        presented: &presented_hash,
        scope,
        job: &job,
        idempotency_key: idempotency_key.as_ref(),
        idempotency_ttl_ms: ctx.settings.idempotency_ttl_ms,
        defaults: &ctx.settings.defaults,
        counts,
    };
    let reply = match ctx.jobs.dispatch_with_cached_key(&call, now).await {
        Ok(reply) => reply,
        Err(error) => return Err(DispatchError::Store(error)).into(),
    };
    match reply {
        // The job validated above serves the two-step path too: no copy of the request kept.
        KeyedDispatchReply::NotOffered => async {
            let key = authorize_key_attempt(ctx.keys, ctx.jobs, check, presented, scope, now).await?;
            let job = crate::job::NewJob {
                concurrency_limit: ctx.settings.concurrency_for(&key),
                ..job
            };
            dispatch_validated(ctx, &key, job, idempotency_key, now).await
        }
        .await
        .into(),
        KeyedDispatchReply::Looked(lookup) => {
            let verified = async {
                let (attempt, cached) =
                    Attempt::from_key_lookup(buckets, lookup, now).map_err(refused_attempt)?;
                let key = settle_key_attempt(
                    ctx.keys,
                    ctx.jobs,
                    check.hasher,
                    attempt,
                    cached,
                    &parsed,
                    scope,
                    now,
                )
                .await?;
                let job = crate::job::NewJob {
                    concurrency_limit: ctx.settings.concurrency_for(&key),
                    ..job
                };
                dispatch_validated(ctx, &key, job, idempotency_key, now).await
            };
            verified.await.into()
        }
        KeyedDispatchReply::Dispatched {
            key,
            at,
            outcome,
            counted,
        } => {
            // The store's check is an early decision: the record is verified here in full.
            let verified = key
                .and_then(|key| verify_record(Some(*key), check.hasher, &parsed, at).ok())
                .filter(|key| key.scopes.contains(scope) && key.remaining.is_none());
            if verified.is_none() {
                return KeyedDispatchResult {
                    result: disagreed(ctx.jobs, outcome, now).await,
                    counted,
                };
            }
            KeyedDispatchResult {
                result: dispatched(outcome),
                counted,
            }
        }
    }
}

async fn two_steps<K, J, E>(
    ctx: &DispatchContext<'_, K, J, E>,
    check: KeyCheck<'_>,
    presented: &str,
    scope: &'static str,
    request: JobRequest,
    now: Timestamp,
) -> Result<Dispatched, DispatchError>
where
    K: ApiKeyStore,
    J: JobStore + RateLimiter + KeyCache,
    E: Entropy,
{
    let key = authorize_key_attempt(ctx.keys, ctx.jobs, check, presented, scope, now).await?;
    super::dispatch_job(ctx, &key, request, now).await
}

/// The store dispatched for a record the core does not accept (or cannot read): a defect of the
/// store's check, or a cache entry of a format this release does not know.
/// The job it stored is cancelled (it must not run for a key that did not verify) and the
/// request fails as a store fault.
async fn disagreed<J: JobStore>(
    jobs: &J,
    outcome: DispatchOutcome,
    now: Timestamp,
) -> Result<Dispatched, DispatchError> {
    if let DispatchOutcome::Accepted { job, .. } = &outcome {
        let _ = jobs.cancel_job(&job.spec.id, now).await;
    }
    Err(DispatchError::Store(StoreError::Failed(
        "the key cache dispatched for a key the core does not accept".into(),
    )))
}

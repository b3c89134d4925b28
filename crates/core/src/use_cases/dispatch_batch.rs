//! Dispatching many jobs at once (`POST /api/jobs/batch`): each job is validated, charged a use
//! and judged by the quota on its own, so one refused job does not refuse the others, and all
//! the jobs go to the job store in ONE call (one transaction, one script).

use crate::Timestamp;
use crate::error::DomainError;
use crate::ports::{ApiKeyStore, DispatchOutcome, DispatchRequest, Entropy, JobStore, UseCharge, UsePeriods};
use crate::use_cases::VerifiedKey;
use crate::use_cases::dispatch::{
    DispatchContext, DispatchError, Dispatched, JobRequest, dispatched, next_refill, validate,
};

/// Most jobs one batch may carry.
pub const MAX_BATCH_JOBS: usize = 500;

/// What became of each job of a batch, in the order they were sent.
pub type BatchOutcome = Vec<Result<Dispatched, DispatchError>>;

/// Dispatches `requests` for an already authorised key. The whole call fails only when the
/// batch itself is wrong (empty, too long), randomness is missing or a store fails; in that case
/// no job was stored and every use taken is given back.
pub async fn dispatch_jobs<K, J, E>(
    ctx: &DispatchContext<'_, K, J, E>,
    key: &VerifiedKey,
    requests: Vec<JobRequest>,
    now: Timestamp,
) -> Result<BatchOutcome, DispatchError>
where
    K: ApiKeyStore,
    J: JobStore,
    E: Entropy,
{
    if requests.is_empty() || requests.len() > MAX_BATCH_JOBS {
        return Err(
            DomainError::invalid("jobs", format!("must hold from 1 to {MAX_BATCH_JOBS} jobs")).into(),
        );
    }
    let mut outcomes: Vec<Option<Result<Dispatched, DispatchError>>> =
        std::iter::repeat_with(|| None).take(requests.len()).collect();
    // The jobs to store, and for each its place in the batch and whether it took a use.
    let mut to_store = Vec::new();
    let mut placed: Vec<(usize, bool)> = Vec::new();
    let charged_so_far = |placed: &[(usize, bool)]| placed.iter().filter(|(_, charged)| *charged).count();
    let rules = ctx.settings.rules_for(key);
    let caps = ctx.settings.caps_for(key);
    // Once the key's budget is found empty, the batch's later jobs are refused without asking again.
    let mut exhausted: Option<Option<Timestamp>> = None;
    for (index, request) in requests.into_iter().enumerate() {
        let idempotency_key = request.idempotency_key.clone();
        let job = match validate(ctx, key, request, now) {
            Ok(job) => job,
            Err(DispatchError::Entropy(e)) => {
                return Err(refund(ctx, key, charged_so_far(&placed), e.into()).await);
            }
            Err(invalid) => {
                outcomes[index] = Some(Err(invalid));
                continue;
            }
        };
        // As for one job: a key created without a budget never gets one, so only keys with a
        // budget take a use.
        let charged = if key.remaining.is_none() {
            false
        } else if let Some(retry_at) = exhausted {
            outcomes[index] = Some(Err(DispatchError::UsesExhausted { retry_at }));
            continue;
        } else {
            match ctx.keys.consume_use(&key.id, &UsePeriods::at(now)).await {
                Ok(UseCharge::Charged { .. }) => true,
                Ok(UseCharge::Unlimited) => false,
                Ok(UseCharge::Exhausted) => {
                    let retry_at = next_refill(key, ctx, now).await;
                    exhausted = Some(retry_at);
                    outcomes[index] = Some(Err(DispatchError::UsesExhausted { retry_at }));
                    continue;
                }
                Err(e) => return Err(refund(ctx, key, charged_so_far(&placed), e.into()).await),
            }
        };
        to_store.push(DispatchRequest {
            caps,
            job,
            rules,
            idempotency_key,
            idempotency_ttl_ms: ctx.settings.idempotency_ttl_ms,
        });
        placed.push((index, charged));
    }
    if !to_store.is_empty() {
        let stored = match ctx.jobs.dispatch_batch(&to_store, now).await {
            Ok(stored) => stored,
            Err(e) => return Err(refund(ctx, key, charged_so_far(&placed), e.into()).await),
        };
        for ((index, charged), outcome) in placed.into_iter().zip(stored) {
            // A job that was not created must not cost a use.
            if charged && !matches!(outcome, DispatchOutcome::Accepted { .. }) {
                ctx.keys.refund_use(&key.id).await?;
            }
            outcomes[index] = Some(dispatched(outcome));
        }
    }
    // Every index was filled exactly once above (validation, budget or store outcome).
    Ok(outcomes.into_iter().flatten().collect())
}

/// Gives back the `charged` uses taken before failing the batch with `error`.
async fn refund<K: ApiKeyStore, J, E>(
    ctx: &DispatchContext<'_, K, J, E>,
    key: &VerifiedKey,
    charged: usize,
    error: DispatchError,
) -> DispatchError {
    for _ in 0..charged {
        if let Err(refund_error) = ctx.keys.refund_use(&key.id).await {
            return refund_error.into();
        }
    }
    error
}

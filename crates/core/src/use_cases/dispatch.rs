//! Dispatching a job with an API key: verify the key and its scope, validate the job, take a use
//! from the key's budget, then idempotency + quota + enqueue in one atomic store call.

use crate::Timestamp;
use crate::api_key::{ApiKey, KeyHasher, Limits, PresentedKey};
use crate::attempts::{Attempt, AttemptRefused, ClientNetwork};
use crate::error::DomainError;
use crate::job::{IdempotencyKey, Job, JobId, JobKind, JobTimeout, MaxAttempts, NewJob, Priority};
use crate::ports::{
    ApiKeyStore, DispatchOutcome, DispatchRequest, Entropy, EntropyUnavailable, JobStore, KeyCache,
    RateLimiter, StoreError, UseCharge, UsePeriods,
};
use crate::quota::{Decision, QuotaRules, RateRule, StorageCaps};
use crate::use_cases::verify_key::verify_record;
use crate::use_cases::{KeyRejection, VerifiedKey, VerifyError, verify_api_key};

/// The scope a key needs to dispatch and cancel jobs.
pub const WRITE_SCOPE: &str = "jobs:write";
/// The scope a key needs to read its jobs.
pub const READ_SCOPE: &str = "jobs:read";
/// Longest accepted delay: a year.
const MAX_DELAY_MS: i64 = 365 * 86_400_000;

/// Server-wide dispatch settings (Spin variables).
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// The job kinds this deployment runs.
    pub kinds: Vec<JobKind>,
    /// Largest accepted payload, in bytes of JSON.
    pub max_payload_bytes: usize,
    /// Limits for keys that set none.
    pub defaults: crate::api_key::Limits,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl_ms: i64,
}

impl DispatchSettings {
    /// The quota rules of a key: its own limits, else the defaults.
    pub fn rules_for(&self, key: &VerifiedKey) -> QuotaRules {
        key_terms(&key.limits, &self.defaults).rules
    }

    /// The concurrency limit of a key.
    pub fn concurrency_for(&self, key: &VerifiedKey) -> Option<u32> {
        key_terms(&key.limits, &self.defaults).concurrency
    }

    /// How much a key may keep stored.
    pub fn caps_for(&self, key: &VerifiedKey) -> StorageCaps {
        key_terms(&key.limits, &self.defaults).caps
    }
}

/// What a key's dispatches are held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTerms {
    /// The quota.
    pub rules: QuotaRules,
    /// What it may keep stored.
    pub caps: StorageCaps,
    /// Its jobs running at once.
    pub concurrency: Option<u32>,
}

/// The terms of a key with limits `own` where the deployment's are `defaults`: each limit the
/// key's own, else the default. (`keyed_dispatch.lua` combines them the same way; a differential
/// test holds the two together.)
pub fn key_terms(own: &Limits, defaults: &Limits) -> KeyTerms {
    let rate = own.rate_per_sec.or(defaults.rate_per_sec);
    let burst = own.burst.or(defaults.burst);
    KeyTerms {
        rules: QuotaRules {
            // Limits are validated when set; a stored value out of range is clamped, never dropped
            // (dropping it would make the key unlimited).
            rate: rate.map(|r| RateRule::clamped(r, burst.unwrap_or(r))),
            daily_quota: own.daily_quota.or(defaults.daily_quota),
        },
        caps: StorageCaps {
            max_scheduled_jobs: own.max_scheduled_jobs.or(defaults.max_scheduled_jobs),
            max_stored_bytes: own.max_stored_bytes.or(defaults.max_stored_bytes),
        },
        concurrency: own.concurrency.or(defaults.concurrency),
    }
}

/// A job as a client asks for it, before validation.
#[derive(Debug, Clone, Default)]
pub struct JobRequest {
    /// Kind name.
    pub kind: String,
    /// The payload, as JSON text.
    pub payload: String,
    /// 0–9.
    pub priority: Option<i64>,
    /// Absolute start time.
    pub run_at: Option<Timestamp>,
    /// Relative start time (exclusive with `run_at`).
    pub delay_ms: Option<i64>,
    /// How many attempts before the job is dead (the kind's cap wins).
    pub max_attempts: Option<i64>,
    /// Per-attempt timeout.
    pub timeout_ms: Option<i64>,
    /// `Idempotency-Key` header.
    pub idempotency_key: Option<IdempotencyKey>,
}

/// Why a dispatch did not happen.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// The API key did not verify.
    #[error(transparent)]
    Key(#[from] KeyRejection),
    /// The key lacks the scope.
    #[error("the API key lacks the {0} scope")]
    MissingScope(&'static str),
    /// A field is invalid.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// The kind is not one this deployment runs.
    #[error("unknown job kind {0:?}")]
    UnknownKind(String),
    /// The payload is over the limit.
    #[error("the payload exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// The quota refused.
    #[error("quota: {0:?}")]
    Refused(Decision),
    /// Too many keys that did not verify came from this client: this one was not looked at.
    #[error("too many failed key verifications from this client")]
    TooManyFailures(Decision),
    /// The key's uses are exhausted; `retry_at` is the next refill, if any.
    #[error("the API key has no uses left")]
    UsesExhausted {
        /// When the next refill happens.
        retry_at: Option<Timestamp>,
    },
    /// No randomness for the job id.
    #[error(transparent)]
    Entropy(#[from] EntropyUnavailable),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<VerifyError> for DispatchError {
    fn from(error: VerifyError) -> Self {
        match error {
            VerifyError::Rejected(r) => Self::Key(r),
            VerifyError::Store(s) => Self::Store(s),
        }
    }
}

/// A dispatch that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// The job (new, or the original for a repeated idempotency key).
    pub job: Job,
    /// True when the idempotency key was seen before.
    pub duplicate: bool,
    /// The quota after the charge (none for duplicates).
    pub decision: Option<Decision>,
}

/// The stores and settings dispatch works with.
pub struct DispatchContext<'a, K, J, E> {
    /// Where API keys are looked up and charged.
    pub keys: &'a K,
    /// Where the job, its quota state and its idempotency record are stored.
    pub jobs: &'a J,
    /// Randomness for job ids.
    pub entropy: &'a E,
    /// Key hashing.
    pub hasher: &'a KeyHasher,
    /// Defaults and bounds of this deployment (limits, payload size, kinds).
    pub settings: &'a DispatchSettings,
}

/// Verifies `presented` and checks it has `scope`.
pub async fn authorize_key<K: ApiKeyStore>(
    keys: &K,
    hasher: &KeyHasher,
    presented: &str,
    scope: &'static str,
    now: Timestamp,
) -> Result<VerifiedKey, DispatchError> {
    let key = verify_api_key(keys, hasher, presented, now).await?;
    if !key.scopes.contains(scope) {
        return Err(DispatchError::MissingScope(scope));
    }
    Ok(key)
}

/// Verifies `presented` as [`authorize_key`] does, as an attempt on `client`'s failed-verification
/// bucket: charged in the same atomic step as the cache lookup unless the cached record says the
/// secret verifies, refused before any lookup when the bucket is empty, and given back when the
/// key turns out valid (an exhausted key or one without the scope is valid: not a guess). So a
/// client sending many bad keys at once gets at most the bucket's burst looked up.
///
/// The key is read from `cache` (see [`crate::ports::KeyCache`]); on a miss, or for a key with a
/// budget (whose remaining uses only the key store knows), from `keys`, and a key without a budget
/// found there is put in the cache.
pub async fn authorize_key_attempt<K: ApiKeyStore, L: RateLimiter + KeyCache>(
    keys: &K,
    cache: &L,
    check: KeyCheck<'_>,
    presented: &str,
    scope: &'static str,
    now: Timestamp,
) -> Result<VerifiedKey, DispatchError> {
    let refused = refused_attempt;
    let Ok(presented) = PresentedKey::parse(presented.trim()) else {
        // Not even shaped like a key: a guess all the same, charged as one.
        Attempt::key_verification(cache, check.failures, check.client, now)
            .await
            .map_err(refused)?
            .counted();
        return Err(KeyRejection::Unknown.into());
    };
    let presented_hash = check.hasher.hash(presented.id(), presented.secret());
    let (attempt, cached) = Attempt::key_verification_with_cached_key(
        cache,
        check.failures,
        check.client,
        presented.id(),
        &presented_hash,
        now,
    )
    .await
    .map_err(refused)?;
    settle_key_attempt(keys, cache, check.hasher, attempt, cached, &presented, scope, now).await
}

/// Maps a refused attempt to the dispatch error it answers.
pub(super) fn refused_attempt(refused: AttemptRefused) -> DispatchError {
    match refused {
        AttemptRefused::Limited(decision) => DispatchError::TooManyFailures(decision),
        AttemptRefused::Store(error) => DispatchError::Store(error),
    }
}

/// The rest of [`authorize_key_attempt`] once the attempt began and the cache answered
/// (`cached`): the record verified (read from `keys` on a miss or for a key with a budget, and
/// put in the cache if it has none), the scope checked, and the attempt counted or given back.
#[allow(clippy::too_many_arguments)] // the parts of one verification, each used once
pub(super) async fn settle_key_attempt<K: ApiKeyStore, L: RateLimiter + KeyCache>(
    keys: &K,
    cache: &L,
    hasher: &KeyHasher,
    attempt: Attempt,
    cached: Option<ApiKey>,
    presented: &PresentedKey,
    scope: &'static str,
    now: Timestamp,
) -> Result<VerifiedKey, DispatchError> {
    let outcome = match cached.filter(|key| key.remaining.is_none()) {
        Some(key) => verify_record(Some(key), hasher, presented, now).map_err(DispatchError::from),
        None => match keys.find_key(presented.id()).await {
            Ok(stored) => {
                if let Some(key) = stored.as_ref().filter(|key| key.remaining.is_none()) {
                    // A fill that fails only costs a key-store lookup next time.
                    let _ = cache.put_key(key).await;
                }
                verify_record(stored, hasher, presented, now).map_err(DispatchError::from)
            }
            Err(error) => Err(DispatchError::Store(error)),
        },
    }
    .and_then(|key| {
        if key.scopes.contains(scope) {
            Ok(key)
        } else {
            Err(DispatchError::MissingScope(scope))
        }
    });
    match &outcome {
        Err(DispatchError::Key(rejection)) if *rejection != KeyRejection::Exhausted => {
            attempt.counts(cache).await;
        }
        // A store failure of ours is not the client's guess either. A give-back that fails
        // leaves one token spent: the limit errs on the safe side.
        _ => {
            let _ = attempt.did_not_count(cache).await;
        }
    }
    outcome
}

/// How a presented key is checked: its hashing and the client's failed-verification limit.
#[derive(Debug, Clone)]
pub struct KeyCheck<'a> {
    /// Hashes the presented secret with the pepper.
    pub hasher: &'a KeyHasher,
    /// Keys that did not verify allowed per client network.
    pub failures: RateRule,
    /// The client's network.
    pub client: ClientNetwork,
}

/// Dispatches `request` for an already authorised key.
pub async fn dispatch_job<K, J, E>(
    ctx: &DispatchContext<'_, K, J, E>,
    key: &VerifiedKey,
    request: JobRequest,
    now: Timestamp,
) -> Result<Dispatched, DispatchError>
where
    K: ApiKeyStore,
    J: JobStore,
    E: Entropy,
{
    let idempotency_key = request.idempotency_key.clone();
    let job = validate(ctx, key, request, now)?;
    dispatch_validated(ctx, key, job, idempotency_key, now).await
}

/// Dispatches the validated `job` for an already authorised key.
pub(super) async fn dispatch_validated<K, J, E>(
    ctx: &DispatchContext<'_, K, J, E>,
    key: &VerifiedKey,
    job: NewJob,
    idempotency_key: Option<IdempotencyKey>,
    now: Timestamp,
) -> Result<Dispatched, DispatchError>
where
    K: ApiKeyStore,
    J: JobStore,
{
    // A key created without a budget never gets one (budgets are set at creation only), so the
    // key just verified tells whether there is a use to take: unlimited keys skip the round trip.
    let charged = key.remaining.is_some()
        && match ctx.keys.consume_use(&key.id, &UsePeriods::at(now)).await? {
            UseCharge::Exhausted => {
                return Err(DispatchError::UsesExhausted {
                    retry_at: next_refill(key, ctx, now).await,
                });
            }
            UseCharge::Charged { .. } => true,
            UseCharge::Unlimited => false,
        };
    let dispatch = DispatchRequest {
        job,
        rules: ctx.settings.rules_for(key),
        caps: ctx.settings.caps_for(key),
        idempotency_key,
        idempotency_ttl_ms: ctx.settings.idempotency_ttl_ms,
    };
    let outcome = ctx.jobs.dispatch(&dispatch, now).await;
    // A request that did not create a job must not cost a use.
    let refund = !matches!(outcome, Ok(DispatchOutcome::Accepted { .. }));
    if charged && refund {
        ctx.keys.refund_use(&key.id).await?;
    }
    dispatched(outcome?)
}

/// What the store's outcome means to the client: a job (new or replayed) or a refusal.
pub(super) fn dispatched(outcome: DispatchOutcome) -> Result<Dispatched, DispatchError> {
    match outcome {
        DispatchOutcome::Accepted { job, decision } => Ok(Dispatched {
            job,
            duplicate: false,
            decision: Some(decision),
        }),
        DispatchOutcome::Duplicate { job } => Ok(Dispatched {
            job,
            duplicate: true,
            decision: None,
        }),
        DispatchOutcome::Rejected { decision } => Err(DispatchError::Refused(decision)),
    }
}

pub(super) fn validate<K, J, E: Entropy>(
    ctx: &DispatchContext<'_, K, J, E>,
    key: &VerifiedKey,
    request: JobRequest,
    now: Timestamp,
) -> Result<NewJob, DispatchError> {
    validate_for(ctx, &key.id, ctx.settings.concurrency_for(key), request, now)
}

/// Validates `request` as a job of key `key_id` whose jobs run at most `concurrency` at once.
pub(super) fn validate_for<K, J, E: Entropy>(
    ctx: &DispatchContext<'_, K, J, E>,
    key_id: &crate::api_key::ApiKeyId,
    concurrency: Option<u32>,
    request: JobRequest,
    now: Timestamp,
) -> Result<NewJob, DispatchError> {
    let kind = JobKind::parse(&request.kind)?;
    if !ctx.settings.kinds.contains(&kind) {
        return Err(DispatchError::UnknownKind(request.kind));
    }
    if request.payload.len() > ctx.settings.max_payload_bytes {
        return Err(DispatchError::PayloadTooLarge(ctx.settings.max_payload_bytes));
    }
    let run_at = match (request.run_at, request.delay_ms) {
        (Some(_), Some(_)) => {
            return Err(DomainError::invalid("delay_ms", "cannot be combined with run_at").into());
        }
        (Some(at), None) => Some(at),
        (None, Some(delay)) if (0..=MAX_DELAY_MS).contains(&delay) => {
            Some(Timestamp::from_millis(now.as_millis() + delay))
        }
        (None, Some(_)) => return Err(DomainError::invalid("delay_ms", "must be from 0 to a year").into()),
        (None, None) => None,
    };
    if run_at.is_some_and(|at| at.as_millis() > now.as_millis() + MAX_DELAY_MS) {
        return Err(DomainError::invalid("run_at", "must be within a year").into());
    }
    let mut id = [0u8; 16];
    ctx.entropy.fill(&mut id)?;
    Ok(NewJob {
        id: JobId::from_random(id),
        key_id: key_id.clone(),
        kind,
        payload: request.payload,
        priority: request
            .priority
            .map(Priority::new)
            .transpose()?
            .unwrap_or_default(),
        run_at: run_at.filter(|at| *at > now),
        max_attempts: request
            .max_attempts
            .map(MaxAttempts::new)
            .transpose()?
            .unwrap_or_default(),
        timeout: request
            .timeout_ms
            .map(JobTimeout::from_millis)
            .transpose()?
            .unwrap_or_default(),
        concurrency_limit: concurrency,
    })
}

pub(super) async fn next_refill<K, J, E>(
    key: &VerifiedKey,
    ctx: &DispatchContext<'_, K, J, E>,
    now: Timestamp,
) -> Option<Timestamp>
where
    K: ApiKeyStore,
{
    let stored = ctx.keys.find_key(&key.id).await.ok().flatten()?;
    let refill = stored.refill?;
    let start = refill.interval.period_start(now);
    // The next period starts one period after this one's start.
    let probe = match refill.interval {
        crate::api_key::RefillInterval::Daily => start.plus_seconds(86_400),
        crate::api_key::RefillInterval::Monthly => start.plus_seconds(32 * 86_400),
    };
    Some(refill.interval.period_start(probe))
}

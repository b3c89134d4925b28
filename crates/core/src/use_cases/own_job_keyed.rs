//! Reading or cancelling a key's own job with a presented key, in one store round trip where the
//! store can ([`KeyCache::access_job_with_cached_key`]), with the key's check then the job's
//! read as the path for everything the store leaves to us. Either way another key's job is as
//! good as absent.

use crate::Timestamp;
use crate::api_key::PresentedKey;
use crate::attempts::Attempt;
use crate::job::{Job, JobId};
use crate::ports::{
    AccessCounts, ApiKeyStore, JobAccess, JobStore, KeyCache, KeyedJobAccess, KeyedJobReply, RateLimiter,
    StoreError,
};
use crate::use_cases::dispatch::{refused_attempt, settle_key_attempt};
use crate::use_cases::verify_key::verify_record;
use crate::use_cases::{DispatchError, KeyCheck, VerifiedKey, authorize_key_attempt};

/// A job access with a presented key, and whether its answer was counted already.
#[derive(Debug)]
pub struct KeyedJobResult {
    /// The key's job after the access (`None`: it has none by that id), or why the key was
    /// refused.
    pub result: Result<Option<Job>, DispatchError>,
    /// True when the store added the answer's counts (see [`AccessCounts`]).
    pub counted: bool,
}

impl From<Result<Option<Job>, DispatchError>> for KeyedJobResult {
    fn from(result: Result<Option<Job>, DispatchError>) -> Self {
        Self {
            result,
            counted: false,
        }
    }
}

/// The stores a job access works with.
pub struct JobAccessStores<'a, K, J> {
    /// API keys.
    pub keys: &'a K,
    /// Jobs, the limiter and the key cache.
    pub jobs: &'a J,
}

/// Verifies `presented` for `scope` as [`authorize_key_attempt`] does, then reads or cancels job
/// `id` if it is the key's own, in one store round trip when the store has the key cached.
/// `counts` are what the answer adds to `/metrics`.
#[allow(clippy::too_many_arguments)] // one request's parts, each used once
pub async fn access_own_job_with_key<K, J>(
    stores: JobAccessStores<'_, K, J>,
    check: KeyCheck<'_>,
    presented: &str,
    scope: &'static str,
    id: &JobId,
    access: JobAccess,
    counts: &AccessCounts,
    now: Timestamp,
) -> KeyedJobResult
where
    K: ApiKeyStore,
    J: JobStore + RateLimiter + KeyCache,
{
    let JobAccessStores { keys, jobs } = stores;
    let Ok(parsed) = PresentedKey::parse(presented.trim()) else {
        return async {
            let key = authorize_key_attempt(keys, jobs, check, presented, scope, now).await?;
            own_job(jobs, &key, id, access, now).await
        }
        .await
        .into();
    };
    let presented_hash = check.hasher.hash(parsed.id(), parsed.secret());
    let buckets = Attempt::key_verification_buckets(check.failures, check.client.clone());
    let call = KeyedJobAccess {
        buckets: &buckets,
        key_id: parsed.id(),
        presented: &presented_hash,
        scope,
        job: id,
        access,
        counts,
    };
    let reply = match jobs.access_job_with_cached_key(&call, now).await {
        Ok(reply) => reply,
        Err(error) => return Err(DispatchError::Store(error)).into(),
    };
    match reply {
        KeyedJobReply::NotOffered => async {
            let key = authorize_key_attempt(keys, jobs, check, presented, scope, now).await?;
            own_job(jobs, &key, id, access, now).await
        }
        .await
        .into(),
        KeyedJobReply::Looked(lookup) => async {
            let (attempt, cached) =
                Attempt::from_key_lookup(buckets, lookup, now).map_err(refused_attempt)?;
            let key =
                settle_key_attempt(keys, jobs, check.hasher, attempt, cached, &parsed, scope, now).await?;
            own_job(jobs, &key, id, access, now).await
        }
        .await
        .into(),
        KeyedJobReply::Settled {
            key,
            at,
            job,
            counted,
        } => {
            // The store's check is an early decision: the record is verified here in full.
            let verified = key
                .and_then(|key| verify_record(Some(*key), check.hasher, &parsed, at).ok())
                .filter(|key| key.scopes.contains(scope) && key.remaining.is_none());
            let result = match verified {
                Some(key) => Ok(job.filter(|job| job.spec.key_id == key.id)),
                None => Err(DispatchError::Store(StoreError::Failed(
                    "the key cache settled a job access for a key the core does not accept".into(),
                ))),
            };
            KeyedJobResult { result, counted }
        }
    }
}

/// The key's own job `id` after `access`, or `None` (another key's job is as good as absent).
async fn own_job<J: JobStore>(
    jobs: &J,
    key: &VerifiedKey,
    id: &JobId,
    access: JobAccess,
    now: Timestamp,
) -> Result<Option<Job>, DispatchError> {
    let owned = jobs.find_job(id).await?.filter(|job| job.spec.key_id == key.id);
    match (owned, access) {
        (None, _) => Ok(None),
        (Some(job), JobAccess::Find) => Ok(Some(job)),
        (Some(_), JobAccess::Cancel) => Ok(jobs.cancel_job(id, now).await?),
    }
}

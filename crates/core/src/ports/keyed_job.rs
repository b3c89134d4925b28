//! Reading or cancelling a key's own job in one round trip to the key cache's store: the
//! failed-verification charge, the cached key's check, the job's owner, the read or the
//! cancellation, and the request's counts together
//! ([`super::KeyCache::access_job_with_cached_key`]). The cache settles what it can settle alone,
//! as for a keyed dispatch ([`super::KeyedDispatch`]); the core verifies every record in full.

use super::{KeyLookup, RateBucket};
use crate::Timestamp;
use crate::api_key::{ApiKey, ApiKeyId, SecretHash};
use crate::job::{Job, JobId};
use crate::metrics::Series;

/// What is done with the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobAccess {
    /// It is read.
    Find,
    /// It is cancelled (a waiting job at once, a running one marked for its worker).
    Cancel,
}

/// An access to job `job` asked of the cache with a presented key, before the key is known.
#[derive(Debug, Clone)]
pub struct KeyedJobAccess<'a> {
    /// The client's failed-verification buckets, charged unless the secret verifies.
    pub buckets: &'a [RateBucket],
    /// The presented key's id.
    pub key_id: &'a ApiKeyId,
    /// The hash of the presented secret.
    pub presented: &'a SecretHash,
    /// The scope the key needs.
    pub scope: &'static str,
    /// The job; another key's job is as good as absent.
    pub job: &'a JobId,
    /// What is done with it.
    pub access: JobAccess,
    /// What the answer adds to `/metrics`, added in the same step.
    pub counts: &'a AccessCounts,
}

/// The series the answer to an access adds one to: when the key's job is there, and when not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessCounts {
    /// The job was the key's own and there.
    pub found: Vec<Series>,
    /// No such job of this key's.
    pub absent: Vec<Series>,
}

/// What [`super::KeyCache::access_job_with_cached_key`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyedJobReply {
    /// This store does not access jobs with cached keys: nothing was charged or looked up.
    NotOffered,
    /// No access: the charge and lookup of [`super::KeyCache::take_and_find_key`].
    Looked(KeyLookup),
    /// The cached key verified at `at` (nothing charged) and the access was made.
    Settled {
        /// The cached record the store judged by (`None`: it did not read back here).
        key: Option<Box<ApiKey>>,
        /// The instant the store judged at.
        at: Timestamp,
        /// The key's job after the access, if it has one by that id.
        job: Option<Job>,
        /// Whether the answer's counts were added.
        counted: bool,
    },
}

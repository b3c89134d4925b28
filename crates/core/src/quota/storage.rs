//! What one API key may keep stored: its future (scheduled) jobs and the bytes of its payloads.
//! Rate and daily quota bound how fast a key writes; these bound how much it can leave behind
//! (a year of delayed jobs, or a week of finished ones at 256 KiB each), so that one key cannot
//! fill the store that every key shares.

use super::decide::{Decision, RejectReason};

/// The caps of one key (its own, else the server defaults); `None` is no cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StorageCaps {
    /// Jobs of the key waiting for a future time at once.
    pub max_scheduled_jobs: Option<u64>,
    /// Bytes of the payloads of the key's stored jobs (any state, until they are cleaned).
    pub max_stored_bytes: Option<u64>,
}

/// What a key holds now, as the store counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyStorage {
    /// Its jobs in `scheduled`.
    pub scheduled_jobs: u64,
    /// The bytes of its stored jobs' payloads.
    pub stored_bytes: u64,
}

/// Whether a new job of `payload_bytes`, scheduled for later or not, fits under `caps` given what
/// the key holds: `None` when it fits, else the refusal (no `Retry-After`: room comes back only
/// as the key's jobs run or are cleaned away, at no time anyone can promise).
pub fn check_storage(
    caps: StorageCaps,
    held: KeyStorage,
    payload_bytes: u64,
    scheduled: bool,
) -> Option<Decision> {
    let refuse = |reason, limit| Decision {
        rejected: Some(reason),
        limit,
        remaining: 0,
        reset_after_us: 0,
        retry_after_us: 0,
    };
    if let Some(cap) = caps.max_scheduled_jobs
        && scheduled
        && held.scheduled_jobs >= cap
    {
        return Some(refuse(RejectReason::ScheduledLimit, cap));
    }
    if let Some(cap) = caps.max_stored_bytes
        && held.stored_bytes.saturating_add(payload_bytes) > cap
    {
        return Some(refuse(RejectReason::StorageLimit, cap));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: StorageCaps = StorageCaps {
        max_scheduled_jobs: Some(2),
        max_stored_bytes: Some(100),
    };

    #[test]
    fn a_key_at_its_scheduled_cap_may_still_dispatch_jobs_that_run_now() {
        let held = KeyStorage {
            scheduled_jobs: 2,
            stored_bytes: 0,
        };
        let refused = check_storage(CAPS, held, 10, true).expect("refused");
        assert_eq!(
            (refused.rejected, refused.limit),
            (Some(RejectReason::ScheduledLimit), 2)
        );
        assert_eq!(check_storage(CAPS, held, 10, false), None);
    }

    #[test]
    fn the_byte_cap_counts_the_new_payload_too() {
        let held = KeyStorage {
            scheduled_jobs: 0,
            stored_bytes: 90,
        };
        assert_eq!(check_storage(CAPS, held, 10, false), None, "exactly full fits");
        let refused = check_storage(CAPS, held, 11, false).expect("refused");
        assert_eq!(refused.rejected, Some(RejectReason::StorageLimit));
        assert_eq!(check_storage(StorageCaps::default(), held, u64::MAX, true), None);
    }
}

//! Per-key quotas: GCRA rate limiting with a burst, a daily quota, and the decision that combines
//! them; and plain rate buckets charged several at once (attempt limits). Pure functions: the
//! SQLite adapter calls them inside its transaction, the Redis adapter runs the same arithmetic in
//! Lua, and a differential test holds the two to identical decisions.
//!
//! Times are integer microseconds since the epoch, so Lua's doubles represent them exactly.

mod buckets;
mod decide;
mod gcra;
mod storage;

pub use buckets::{give_back, take_all};
pub use decide::{Decision, QuotaRules, QuotaState, RejectReason, decide};
pub use gcra::{MAX_RATE_PER_SEC, RatePeriod, RateRule, gcra};
pub use storage::{KeyStorage, StorageCaps, check_storage};

/// Microseconds in a UTC day.
pub const DAY_US: i64 = 86_400_000_000;

//! How long a Spin request waits before it tries SQLite's write lock again: the longer it has
//! waited already, the more often it tries.
//!
//! SQLite's lock has no queue, and a Spin request cannot block on it (each try is a host call
//! with a busy timeout of 0), so the requests that find it taken poll it. With one fixed interval
//! every waiter was as likely to win the next release: under 32 concurrent dispatches a dispatch
//! waited 50 ms at the median and 0.4 s at p99 (35 tries on average, up to 351). Here a request
//! that has waited long tries more often than one that just arrived, so the releases go mostly
//! to the oldest waiters. (Spin's timers fire on 1 ms ticks, so the fast interval is in effect
//! about 1 ms: two to three times as often as a newcomer, not four.)
//!
//! Measured (docs/benchmarks.md, issue #26 item 3), WASIp2, 32 connections, back to back against a
//! fixed 1 ms: dispatch p99 301–321 ms instead of 383, p50 54–60 ms instead of 51, 400–443
//! requests/s instead of 411; on the WASIp3 build no difference beyond noise.

/// A request that has waited this long polls at the fast interval.
const OLD_AFTER_NANOS: u64 = 20_000_000;
/// The interval of a request that has waited [`OLD_AFTER_NANOS`] or more.
const FAST_NANOS: u64 = 500_000;
/// The interval of a request that has waited less.
const SLOW_NANOS: u64 = 2_000_000;

/// The pause before the next try of a statement that found the database locked, for a request
/// that has been waiting `waited_nanos`.
pub fn next_lock_try_in(waited_nanos: u64) -> u64 {
    if waited_nanos >= OLD_AFTER_NANOS {
        FAST_NANOS
    } else {
        SLOW_NANOS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_that_waited_long_asks_to_try_again_sooner_than_a_newcomer() {
        assert!(next_lock_try_in(0) > next_lock_try_in(OLD_AFTER_NANOS));
        assert_eq!(next_lock_try_in(OLD_AFTER_NANOS - 1), SLOW_NANOS);
        assert_eq!(next_lock_try_in(5_000_000_000), FAST_NANOS);
    }
}

//! How long a Spin request waits before it tries SQLite's write lock again: the longer it has
//! waited already, the more often it tries.
//!
//! SQLite's lock has no queue, and a Spin request cannot block on it (each try is a host call
//! with a busy timeout of 0), so the requests that find it taken poll it. With one fixed interval
//! every waiter was as likely to win the next release: under 32 concurrent dispatches a dispatch
//! waited 50 ms at the median and 0.4 s at p99 (35 tries on average, up to 351). Here a request
//! that has waited long tries four times as often as one that just arrived, so the releases go
//! mostly to the oldest waiters.
//!
//! Measured (docs/benchmarks.md, issue #26 item 3), WASIp2, 32 connections, back to back against a
//! fixed 1 ms: dispatch p99 301–321 ms instead of 383, p50 60 ms instead of 51, the same
//! requests/s; on the WASIp3 build no difference beyond noise.

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
    fn a_request_that_waited_long_tries_four_times_as_often_as_a_newcomer() {
        assert_eq!(next_lock_try_in(0), 4 * next_lock_try_in(OLD_AFTER_NANOS));
        assert_eq!(next_lock_try_in(OLD_AFTER_NANOS - 1), SLOW_NANOS);
        assert_eq!(next_lock_try_in(5_000_000_000), FAST_NANOS);
    }
}

//! The quota rules are written twice: in Rust (`hexaspin_core::quota::decide`, which the SQLite
//! adapter calls) and in Lua (the Redis dispatch script). This test drives the same request
//! sequences through the pure Rust rules, the SQLite store and the Redis store, and requires
//! identical decisions: accepted or which limit refused, limit, remaining, reset and retry times.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::{DispatchOutcome, DispatchRequest, JobStore};
use hexaspin_core::quota::{Decision, QuotaRules, QuotaState, RateRule, decide};
use hexaspin_tests::contract::jobs::{new_job, request};
use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

/// xorshift64*: a tiny deterministic generator, so a failure names a reproducible seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn decision_of(outcome: DispatchOutcome) -> Decision {
    match outcome {
        DispatchOutcome::Accepted { decision, .. } | DispatchOutcome::Rejected { decision } => decision,
        DispatchOutcome::Duplicate { .. } => panic!("no idempotency keys are used here"),
    }
}

#[tokio::test]
async fn rust_sqlite_and_redis_make_identical_quota_decisions() {
    let sqlite = SqliteTestJobs::new().await;
    let redis = RedisTestJobs::new().await;
    const DAY_MS: i64 = 86_400_000;
    let (mut compared, mut rate_limited, mut exhausted) = (0, 0, 0);
    for seed in 1..=24u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let rate = (rng.below(3) > 0)
            .then(|| RateRule::new(1 + rng.below(40) as u32, 1 + rng.below(8) as u32).expect("rule"));
        let daily_quota = (rng.below(2) == 0).then(|| 1 + rng.below(25));
        let rules = QuotaRules { rate, daily_quota };
        // Start a few seconds before a UTC midnight so day roll-over is exercised too.
        let mut now = (20_400 + seed as i64) * DAY_MS - 3_000 - rng.below(2_000) as i64;
        let mut model = QuotaState::default();
        for step in 0..60 {
            now += match rng.below(10) {
                0 => 0,
                1..=6 => rng.below(120) as i64,
                _ => rng.below(1_500) as i64,
            };
            let at = Timestamp::from_millis(now);
            let (expected, next) = decide(model, rules, now * 1000);
            if expected.rejected.is_none() {
                model = next;
            }
            // Key id seed 100+seed keeps each sequence's quota state apart in both stores.
            let job = new_job(100 + seed as u8, 5);
            let req = DispatchRequest {
                rules,
                ..request(job)
            };
            let from_sqlite = decision_of(sqlite.store.dispatch(&req, at).await.expect("sqlite dispatch"));
            let req = DispatchRequest {
                job: new_job(100 + seed as u8, 5),
                ..req
            };
            let from_redis = decision_of(redis.store.dispatch(&req, at).await.expect("redis dispatch"));
            assert_eq!(
                from_sqlite, expected,
                "SQLite differs from the rules (seed {seed}, step {step}, {rules:?})"
            );
            assert_eq!(
                from_redis, expected,
                "Redis differs from the rules (seed {seed}, step {step}, {rules:?})"
            );
            compared += 1;
            match expected.rejected {
                Some(hexaspin_core::quota::RejectReason::RateLimited) => rate_limited += 1,
                Some(hexaspin_core::quota::RejectReason::QuotaExhausted) => exhausted += 1,
                None => {}
            }
        }
    }
    println!(
        "{compared} decisions identical across Rust, SQLite and Redis ({rate_limited} rate-limited, {exhausted} quota-exhausted)"
    );
    assert!(
        rate_limited > 50 && exhausted > 50,
        "the sequences must exercise both refusals"
    );
    sqlite.finish().await;
    redis.finish().await;
}

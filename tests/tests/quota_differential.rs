//! The quota rules are written twice: in Rust (`hexaspin_core::quota`, which the SQLite adapter
//! calls) and in Lua (the Redis scripts). These tests drive the same request sequences through the
//! pure Rust rules, the SQLite store and the Redis store, and require identical decisions:
//! accepted or which limit refused, limit, remaining, reset and retry times. One covers dispatch
//! (storage caps, daily quota, GCRA with rates per second, minute and hour), the other the attempt
//! buckets charged several at once and given back.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::{DispatchOutcome, DispatchRequest, JobStore, RateBucket, RateLimiter};
use hexaspin_core::quota::{
    Decision, KeyStorage, QuotaRules, QuotaState, RatePeriod, RateRule, RejectReason, StorageCaps,
    check_storage, decide, give_back, take_all,
};
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

/// A rule per second, minute or hour.
fn random_rule(rng: &mut Rng) -> RateRule {
    let period = [RatePeriod::Second, RatePeriod::Minute, RatePeriod::Hour][rng.below(3) as usize];
    let rate = match period {
        RatePeriod::Second => 1 + rng.below(40),
        RatePeriod::Minute => 30 + rng.below(900),
        RatePeriod::Hour => 600 + rng.below(20_000),
    };
    RateRule::per(rate as u32, period, 1 + rng.below(8) as u32).expect("rule")
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
    let (mut compared, mut rate_limited, mut exhausted, mut capped) = (0, 0, 0, 0);
    for seed in 1..=36u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let rate = (rng.below(3) > 0).then(|| random_rule(&mut rng));
        let daily_quota = (rng.below(2) == 0).then(|| 1 + rng.below(25));
        let rules = QuotaRules { rate, daily_quota };
        let caps = StorageCaps {
            max_scheduled_jobs: (rng.below(3) == 0).then(|| 1 + rng.below(6)),
            max_stored_bytes: (rng.below(3) == 0).then(|| 200 + rng.below(1_500)),
        };
        let mut held = KeyStorage::default();
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
            // Key id seed 100+seed keeps each sequence's quota state apart in both stores.
            let mut job = new_job(100 + seed as u8, 5);
            let scheduled = rng.below(3) == 0;
            if scheduled {
                job.run_at = Some(at.plus_seconds(3_600));
            }
            let bytes = job.payload.len() as u64;
            let expected = match check_storage(caps, held, bytes, scheduled) {
                Some(refused) => refused,
                None => {
                    let (decided, next) = decide(model, rules, now * 1000);
                    if decided.rejected.is_none() {
                        model = next;
                        held.stored_bytes += bytes;
                        held.scheduled_jobs += u64::from(scheduled);
                    }
                    decided
                }
            };
            let req = DispatchRequest {
                rules,
                caps,
                ..request(job.clone())
            };
            let from_sqlite = decision_of(sqlite.store.dispatch(&req, at).await.expect("sqlite dispatch"));
            let req = DispatchRequest {
                job: hexaspin_core::job::NewJob {
                    id: new_job(100 + seed as u8, 5).id,
                    ..job
                },
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
                Some(RejectReason::RateLimited) => rate_limited += 1,
                Some(RejectReason::QuotaExhausted) => exhausted += 1,
                Some(RejectReason::ScheduledLimit | RejectReason::StorageLimit) => capped += 1,
                None => {}
            }
        }
    }
    println!(
        "{compared} decisions identical across Rust, SQLite and Redis ({rate_limited} rate-limited, \
         {exhausted} quota-exhausted, {capped} over a storage cap)"
    );
    assert!(
        rate_limited > 50 && exhausted > 50 && capped > 20,
        "the sequences must exercise every refusal"
    );
    sqlite.finish().await;
    redis.finish().await;
}

#[tokio::test]
async fn rust_sqlite_and_redis_take_and_give_back_attempt_buckets_alike() {
    let sqlite = SqliteTestJobs::new().await;
    let redis = RedisTestJobs::new().await;
    let (mut compared, mut refused) = (0, 0);
    for seed in 1..=24u64 {
        let mut rng = Rng(seed.wrapping_mul(0xD1B5_4A32_D192_ED03) | 1);
        let buckets: Vec<RateBucket> = (0..1 + rng.below(3))
            .map(|n| RateBucket {
                name: format!("differential:{seed}:{n}"),
                rule: random_rule(&mut rng),
            })
            .collect();
        let mut tats = vec![0i64; buckets.len()];
        let mut now = 1_800_000_000_000 + seed as i64 * 10_000_000;
        for step in 0..50 {
            now += rng.below(400) as i64;
            let at = Timestamp::from_millis(now);
            if rng.below(4) == 0 {
                for (tat, bucket) in tats.iter_mut().zip(&buckets) {
                    *tat = give_back(*tat, bucket.rule, now * 1000).unwrap_or(0);
                }
                sqlite
                    .store
                    .give_back(&buckets, at)
                    .await
                    .expect("sqlite give back");
                redis
                    .store
                    .give_back(&buckets, at)
                    .await
                    .expect("redis give back");
                continue;
            }
            let stored: Vec<_> = tats.iter().copied().zip(buckets.iter().map(|b| b.rule)).collect();
            let (expected, next) = take_all(&stored, now * 1000);
            if let Some(next) = next {
                tats = next;
            } else {
                refused += 1;
            }
            let from_sqlite = sqlite.store.take(&buckets, at).await.expect("sqlite take");
            let from_redis = redis.store.take(&buckets, at).await.expect("redis take");
            assert_eq!(from_sqlite, expected, "SQLite differs (seed {seed}, step {step})");
            assert_eq!(from_redis, expected, "Redis differs (seed {seed}, step {step})");
            compared += 1;
        }
    }
    println!("{compared} attempt decisions identical across Rust, SQLite and Redis ({refused} refused)");
    assert!(refused > 50, "the sequences must exercise refusals");
    sqlite.finish().await;
    redis.finish().await;
}

/// A key's terms are combined twice too: `hexaspin_core::use_cases::key_terms` (each limit the
/// key's own, else the deployment's default; a rate clamped, never dropped) and
/// `keyed_dispatch.lua`, which settles a dispatch with a cached key. Random own limits and
/// defaults, a few dispatches each: the keyed dispatch must decide exactly as a plain dispatch
/// under the core's terms does, and store the same concurrency limit.
#[tokio::test]
async fn a_keyed_dispatch_combines_own_limits_and_defaults_as_the_core_does() {
    use hexaspin_core::api_key::Limits;
    use hexaspin_core::ports::{KeyCache, KeyedDispatch, KeyedDispatchReply, OutcomeCounts};
    use hexaspin_core::use_cases::key_terms;

    let redis = RedisTestJobs::new().await;
    let mut compared = 0;
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let limits = |rng: &mut Rng| Limits {
            rate_per_sec: (rng.below(2) == 0).then(|| rng.below(6) as u32),
            burst: (rng.below(2) == 0).then(|| rng.below(4) as u32),
            concurrency: (rng.below(2) == 0).then(|| 1 + rng.below(5) as u32),
            daily_quota: (rng.below(3) == 0).then(|| 1 + rng.below(4)),
            max_scheduled_jobs: (rng.below(3) == 0).then(|| 1 + rng.below(3)),
            max_stored_bytes: (rng.below(4) == 0).then(|| 100 + rng.below(300)),
        };
        let (own, defaults) = (limits(&mut rng), limits(&mut rng));
        let mut key = hexaspin_tests::samples::full_key(seed as u8, Timestamp::from_millis(0));
        key.remaining = None;
        key.expires_at = None;
        key.limits = own;
        redis.store.put_key(&key).await.expect("put");
        let terms = key_terms(&own, &defaults);
        let mut now = 1_795_000_000_000 + rng.below(86_400_000) as i64;
        for step in 0..5 {
            now += rng.below(700) as i64;
            let at = Timestamp::from_millis(now);
            let mut job = new_job(seed as u8, 5);
            job.key_id = key.id.clone();
            if rng.below(3) == 0 {
                job.run_at = Some(at.plus_seconds(3_600));
            }
            let counts = OutcomeCounts::default();
            let call = KeyedDispatch {
                buckets: &[],
                presented: &key.secret_hash,
                scope: "jobs:write",
                job: &job,
                idempotency_key: None,
                idempotency_ttl_ms: 60_000,
                defaults: &defaults,
                counts: &counts,
            };
            let KeyedDispatchReply::Dispatched { outcome: keyed, .. } = redis
                .store
                .dispatch_with_cached_key(&call, at)
                .await
                .expect("keyed")
            else {
                panic!("a cached key that verifies is settled (seed {seed})");
            };
            // The same job under the core's terms, as another key (its own quota state).
            let mut plain_job = new_job(200 - seed as u8, 5);
            plain_job.run_at = job.run_at;
            plain_job.payload = job.payload.clone();
            plain_job.concurrency_limit = terms.concurrency;
            let plain = redis
                .store
                .dispatch(
                    &DispatchRequest {
                        rules: terms.rules,
                        caps: terms.caps,
                        ..request(plain_job)
                    },
                    at,
                )
                .await
                .expect("dispatch");
            match (&keyed, &plain) {
                (
                    DispatchOutcome::Accepted { job: a, decision: da },
                    DispatchOutcome::Accepted { job: b, decision: db },
                ) => {
                    assert_eq!(da, db, "seed {seed}, step {step}, {own:?} over {defaults:?}");
                    assert_eq!(a.spec.concurrency_limit, b.spec.concurrency_limit, "seed {seed}");
                }
                (DispatchOutcome::Rejected { decision: da }, DispatchOutcome::Rejected { decision: db }) => {
                    assert_eq!(da, db, "seed {seed}, step {step}, {own:?} over {defaults:?}");
                }
                _ => panic!("seed {seed}, step {step}: {keyed:?} against {plain:?}"),
            }
            compared += 1;
        }
    }
    println!("{compared} keyed dispatches decided as under the core's terms");
    redis.finish().await;
}

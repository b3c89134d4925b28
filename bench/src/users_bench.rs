//! `hexaspin-bench users`: what a sign-in costs, natively and under Spin, for the Argon2id
//! parameters the user service ships with (and the other OWASP-recommended sets, for choosing).
//!
//! Native: one Argon2id hash per parameter set (the bulk of a sign-in), then the whole in-process
//! sign-in (`POST /api/auth/token` through `UsersApi` on an SQLite store) with the defaults.
//! Under Spin: the user service alone (`services/users/spin.toml`, embedded database) answering
//! `POST /api/auth/token` one request at a time, then from `BENCH_CONNECTIONS` (default 4)
//! clients at once. `BENCH_N` (default 40) sign-ins per row. Needs Spin on PATH for the Spin rows
//! and the components built (`cargo xtask build-wasm`).

use std::time::{Duration, Instant};

use hexaspin_config::os::system_now;
use hexaspin_core::user::{Password, PasswordHasher, PasswordParams};
use hexaspin_tests::fixtures::TestStore;
use hexaspin_tests::users_api::UsersHarness;

use crate::percentile;
use crate::spin_http::env_number;

/// OWASP's Argon2id sets of equal strength (Password Storage Cheat Sheet); the first is ours.
const PARAMETER_SETS: [(u32, u32); 3] = [(19 * 1024, 2), (12 * 1024, 3), (46 * 1024, 1)];
const PASSWORD: &str = "correct horse battery staple";

fn summary(mut latencies: Vec<Duration>) -> String {
    latencies.sort();
    format!(
        "p50 {:>7.1} ms  p90 {:>7.1} ms  max {:>7.1} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.9)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run() -> anyhow::Result<()> {
    let n = env_number("BENCH_N", 40) as usize;
    println!("hexaspin user service bench: {n} per row\n");
    println!("native Argon2id hash (one core):");
    for (memory_kib, iterations) in PARAMETER_SETS {
        let params = PasswordParams {
            memory_kib,
            iterations,
            parallelism: 1,
        };
        let hasher = PasswordHasher::new(params)?;
        let password = Password::presented(PASSWORD)?;
        let mut latencies = Vec::with_capacity(n);
        for i in 0..n {
            let t = Instant::now();
            hasher.hash(&password, [i as u8; 16])?;
            latencies.push(t.elapsed());
        }
        let ours = if params == PasswordParams::DEFAULT {
            " (default)"
        } else {
            ""
        };
        println!(
            "  m={memory_kib:>5} KiB t={iterations} p=1{ours:<10} {}",
            summary(latencies)
        );
    }

    let harness = UsersHarness::with_default_hashing(TestStore::sqlite().await).await;
    let now = system_now();
    harness.signed_in("bench@example.com", PASSWORD, now).await;
    let body = serde_json::json!({ "email": "bench@example.com", "password": PASSWORD });
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let reply = harness.post("/api/auth/token", body.clone(), now).await;
        latencies.push(t.elapsed());
        anyhow::ensure!(reply.status == 200, "sign-in failed: {:?}", reply.json);
    }
    println!(
        "\nnative sign-in, in process, SQLite store, default parameters:\n  {}",
        summary(latencies)
    );
    harness.finish().await;

    spin_rows(n).await
}

async fn spin_rows(n: usize) -> anyhow::Result<()> {
    let Some(version) = hexaspin_tests::spin_up::spin_version() else {
        println!("\nunder Spin: not measured (`spin` is not on PATH)");
        return Ok(());
    };
    let app = hexaspin_tests::spin_up::start_users_service(&[])
        .await
        .map_err(anyhow::Error::msg)?;
    let port = app.port;
    let body = serde_json::json!({ "email": "bench@example.com", "password": PASSWORD });
    let up = hexaspin_tests::http::send(port, "POST", "/api/users", &[], Some(&body));
    anyhow::ensure!(up.status == 202, "sign-up failed: {:?}", up.json);
    let sign_in = move || {
        let t = Instant::now();
        let reply = hexaspin_tests::http::send(port, "POST", "/api/auth/token", &[], Some(&body));
        (t.elapsed(), reply.status)
    };
    for _ in 0..3 {
        sign_in(); // warm-up: the component's first instantiations, the page cache
    }
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let (elapsed, status) = sign_in();
        anyhow::ensure!(status == 200, "sign-in under Spin answered {status}");
        latencies.push(elapsed);
    }
    println!("\nunder {version}, user service alone, embedded database, default parameters:");
    println!("  one at a time: {}", summary(latencies));
    let clients = env_number("BENCH_CONNECTIONS", 4) as usize;
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let sign_in = sign_in.clone();
            std::thread::spawn(move || (0..n / clients).map(|_| sign_in()).collect::<Vec<_>>())
        })
        .collect();
    let mut latencies = Vec::new();
    for thread in threads {
        for (elapsed, status) in thread
            .join()
            .map_err(|_| anyhow::anyhow!("client thread panicked"))?
        {
            anyhow::ensure!(status == 200, "sign-in under Spin answered {status}");
            latencies.push(elapsed);
        }
    }
    let rate = latencies.len() as f64 / started.elapsed().as_secs_f64();
    println!(
        "  {clients} clients at once: {} — {rate:.1} sign-ins/s",
        summary(latencies)
    );
    app.stop();
    Ok(())
}

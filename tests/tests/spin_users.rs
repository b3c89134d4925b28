//! The user service under a real `spin up`: alone on a fresh embedded database it migrates itself
//! (with its first requests arriving concurrently), and mounted in the main app on both
//! deployments. Needs Spin on PATH (SKIPPED otherwise, a failure under `HEXASPIN_REQUIRE_SPIN=1`).

use hexaspin_config::os::system_now;
use hexaspin_tests::api::admin_token;
use hexaspin_tests::http::{send, send_bearer};
use hexaspin_tests::samples::JWT_SECRET;
use hexaspin_tests::spin_up::{Deployment, spin_app, spin_users_service};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

fn counter(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{series} is not in /metrics:\n{metrics}"))
}

fn text(value: &Value, name: &str) -> String {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {value}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_service_alone_migrates_its_database_under_concurrent_first_requests_and_serves_every_route()
{
    let Some(app) = spin_users_service(&[("SPIN_VARIABLE_JWT_SECRET", JWT_SECRET)]).await else {
        return;
    };
    let port = app.port;
    // The first requests all find the database empty and race to migrate it; every one must be
    // answered as if it had been ready.
    let signups: Vec<_> = (0..8)
        .map(|n| {
            std::thread::spawn(move || {
                let body = json!({ "email": format!("user{n}@example.com"), "password": PASSWORD });
                send(port, "POST", "/api/users", &[], Some(&body))
            })
        })
        .collect();
    for (n, signup) in signups.into_iter().enumerate() {
        let reply = signup.join().expect("thread");
        assert_eq!(reply.status, 202, "sign-up {n}: {:?}", reply.json);
    }
    assert_eq!(send(port, "GET", "/readyz", &[], None).status, 200);

    let credentials = json!({ "email": "user0@example.com", "password": PASSWORD });
    let session = send(port, "POST", "/api/auth/token", &[], Some(&credentials));
    assert_eq!(session.status, 200, "{:?}", session.json);
    let access = text(&session.json, "access_token");
    let me = send_bearer(port, "GET", "/api/users/me", &access, None);
    assert_eq!(
        (me.status, me.json["email"].clone()),
        (200, json!("user0@example.com"))
    );

    let first = json!({ "refresh_token": text(&session.json, "refresh_token") });
    let rotated = send(port, "POST", "/api/auth/refresh", &[], Some(&first));
    assert_eq!(rotated.status, 200, "{:?}", rotated.json);
    let replay = send(port, "POST", "/api/auth/refresh", &[], Some(&first));
    assert_eq!(
        (replay.status, replay.json["code"].clone()),
        (401, json!("refresh_token_reused"))
    );
    let second = json!({ "refresh_token": text(&rotated.json, "refresh_token") });
    assert_eq!(
        send(port, "POST", "/api/auth/refresh", &[], Some(&second)).status,
        401
    );

    let wrong = json!({ "email": "user0@example.com", "password": "not the password" });
    assert_eq!(
        send(port, "POST", "/api/auth/token", &[], Some(&wrong)).status,
        401
    );

    let admin = admin_token("alice", system_now());
    let listed = send_bearer(port, "GET", "/api/admin/users?limit=100", &admin, None);
    assert_eq!(listed.status, 200, "{:?}", listed.json);
    assert_eq!(listed.json["items"].as_array().map(Vec::len), Some(8));
    assert_eq!(
        send_bearer(port, "GET", "/api/admin/users", &access, None).status,
        401
    );
    assert_eq!(
        send_bearer(port, "GET", "/api/users/me", &admin, None).status,
        401
    );

    let metrics = send(port, "GET", "/metrics", &[], None);
    assert_eq!(metrics.status, 200);
    let metrics = metrics.json.as_str().expect("text exposition").to_owned();
    assert_eq!(counter(&metrics, "hexaspin_user_signups_total"), 8.0);
    assert_eq!(
        counter(&metrics, "hexaspin_user_signins_total{outcome=\"success\"}"),
        1.0
    );
    assert_eq!(
        counter(
            &metrics,
            "hexaspin_user_signins_total{outcome=\"invalid_credentials\"}"
        ),
        1.0
    );
    assert_eq!(counter(&metrics, "hexaspin_user_refresh_reuse_total"), 1.0);
    app.stop();
}

#[tokio::test]
async fn the_main_app_mounts_the_user_service_on_both_deployments() {
    for deployment in [Deployment::EMBEDDED, Deployment::PRODUCTION] {
        let Some(app) = spin_app(deployment, &[]).await else {
            return;
        };
        let port = app.port;
        let credentials = json!({ "email": "ada@example.com", "password": PASSWORD });
        let up = send(port, "POST", "/api/users", &[], Some(&credentials));
        assert_eq!(up.status, 202, "{}: {:?}", deployment.name(), up.json);
        let session = send(port, "POST", "/api/auth/token", &[], Some(&credentials));
        assert_eq!(session.status, 200, "{}: {:?}", deployment.name(), session.json);
        let access = text(&session.json, "access_token");
        assert_eq!(
            send_bearer(port, "GET", "/api/users/me", &access, None).status,
            200
        );
        // The user token opens nothing of the admin API, the admin token nothing of the user's.
        assert_eq!(
            send_bearer(port, "GET", "/api/admin/api-keys", &access, None).status,
            401
        );
        let admin = admin_token("alice", system_now());
        assert_eq!(
            send_bearer(port, "GET", "/api/users/me", &admin, None).status,
            401
        );
        let listed = send_bearer(port, "GET", "/api/admin/users", &admin, None);
        assert_eq!(
            listed.json["items"][0]["email"],
            "ada@example.com",
            "{}",
            deployment.name()
        );
        app.stop();
    }
}

/// Fifty wrong passwords sent at once under `spin up`, on both deployments: at most the burst of
/// the account-and-client bucket get their password checked, the rest are refused before any
/// hash is computed, and a second wave a second later gets nothing checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_wrong_sign_ins_get_at_most_the_burst_checked_under_spin() {
    for deployment in [Deployment::EMBEDDED, Deployment::PRODUCTION] {
        let Some(app) = spin_app(deployment, &[]).await else {
            return;
        };
        let port = app.port;
        let credentials = json!({ "email": "ada@example.com", "password": PASSWORD });
        assert_eq!(
            send(port, "POST", "/api/users", &[], Some(&credentials)).status,
            202
        );
        let wave = || {
            let threads: Vec<_> = (0..50)
                .map(|_| {
                    std::thread::spawn(move || {
                        let wrong = json!({ "email": "ada@example.com", "password": "not the password" });
                        send(port, "POST", "/api/auth/token", &[], Some(&wrong)).status
                    })
                })
                .collect();
            let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().expect("thread")).collect();
            statuses.sort_unstable();
            statuses
        };
        let first = wave();
        let checked = first.iter().filter(|status| **status == 401).count();
        assert_eq!(
            (checked, first.len() - checked),
            (10, 40),
            "{}: the default 10/15m per account and client: {first:?}",
            deployment.name()
        );
        assert!(
            first.iter().all(|status| [401, 429].contains(status)),
            "{first:?}"
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
        let second = wave();
        assert!(
            second.iter().all(|status| *status == 429),
            "{}: {second:?}",
            deployment.name()
        );
        app.stop();
    }
}

//! What an instance keeps between requests, under `spin up` of the build `HEXASPIN_SPIN_BUILD`
//! names. The WASIp3 build's instances serve many requests (Spin 4.1: 128 each, 16 at once) and
//! keep their Redis connection and settings; nothing about a request may survive it.
//!
//! 1. Sixteen clients at once interleave requests of different callers: two API keys with
//!    different scopes, a revoked key, no key, a good and a forged admin token, two users'
//!    access tokens. Every answer is the one its own caller should get (its own job, its own
//!    email), never another's.
//! 2. Redis is cut away under the instances' kept connections and restored: the requests that
//!    meet the broken connection answer 503 with `Retry-After`, and the instances open new
//!    connections by themselves, so the requests after recover.
//!
//! In the production deployment Redis is reached through a proxy that counts connections, so
//! the run also shows whether instances were reused at all: for the WASIp3 build, far fewer
//! connections than requests (asserted); for WASIp2, one per request that touches Redis.

use std::collections::BTreeMap;
use std::time::Duration;

use hexaspin_config::os::system_now;
use hexaspin_core::admin_auth::{TokenRequest, issue_admin_token};
use hexaspin_tests::api::{Reply, admin_token};
use hexaspin_tests::cuttable_proxy::CuttableProxy;
use hexaspin_tests::fixtures::test_redis_address;
use hexaspin_tests::http::{create_api_key, send, send_bearer};
use hexaspin_tests::spin_up::{App, Deployment, SpinBuild, spin_app};
use serde_json::json;

const CLIENTS: usize = 16;
const ROUNDS: usize = 12;
const PASSWORD: &str = "correct horse battery staple 42";
/// The revoked key and the requests without one are refused hundreds of times from this one
/// address: the failed-verification limiter (its own tests elsewhere) must not step in here.
const UNLIMITED_FAILED_ATTEMPTS: [(&str, &str); 2] = [
    ("SPIN_VARIABLE_AUTH_FAILURE_RATE_PER_SEC", "1000000"),
    ("SPIN_VARIABLE_AUTH_FAILURE_BURST", "1000000"),
];

/// Everyone who calls during the run, with what they need to call.
struct Callers {
    writer: String,
    reader: String,
    revoked: String,
    admin: String,
    forged_admin: String,
    users: [(String, String); 2],
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_callers_each_get_their_own_answer_and_a_broken_redis_connection_recovers() {
    let build = SpinBuild::from_env();
    // Production with Redis behind a counting proxy, then the embedded default.
    let proxy = CuttableProxy::start(test_redis_address()).await;
    let proxied_url = format!("redis://127.0.0.1:{}/0", proxy.port);
    let proxied_host = format!("127.0.0.1:{}", proxy.port);
    let production_env = [
        ("SPIN_VARIABLE_REDIS_URL", proxied_url.as_str()),
        ("SPIN_VARIABLE_REDIS_HOST", proxied_host.as_str()),
        UNLIMITED_FAILED_ATTEMPTS[0],
        UNLIMITED_FAILED_ATTEMPTS[1],
    ];
    let Some(app) = spin_app(Deployment::PRODUCTION, &production_env).await else {
        return;
    };
    let callers = set_up_callers(&app);
    let before = proxy.accepted();
    let requests = interleave(&app, &callers);
    let opened = proxy.accepted() - before;
    println!(
        "{} build, production: {requests} requests, {opened} Redis connections opened",
        build.name()
    );
    if build == SpinBuild::Wasip3 {
        assert!(
            opened * 4 < requests as u64,
            "{opened} Redis connections for {requests} requests: the instances were not reused"
        );
    }
    redis_breaks_and_recovers(&app, &callers, &proxy);
    app.stop();

    let Some(app) = spin_app(Deployment::EMBEDDED, &UNLIMITED_FAILED_ATTEMPTS).await else {
        return;
    };
    let callers = set_up_callers(&app);
    let requests = interleave(&app, &callers);
    println!("{} build, embedded: {requests} requests", build.name());
    app.stop();
}

fn set_up_callers(app: &App) -> Callers {
    let port = app.port;
    let admin = admin_token("reuse", system_now());
    let writer = create_api_key(
        port,
        &admin,
        &json!({"name": "writer", "scopes": ["jobs:read", "jobs:write"],
                "limits": {"rate_per_sec": 100000, "burst": 100000}}),
    );
    let reader = create_api_key(
        port,
        &admin,
        &json!({"name": "reader", "scopes": ["jobs:read"],
                "limits": {"rate_per_sec": 100000, "burst": 100000}}),
    );
    let revoked = create_api_key(port, &admin, &json!({"name": "revoked", "scopes": ["jobs:read"]}));
    let listed = send_bearer(port, "GET", "/api/admin/api-keys?limit=100", &admin, None);
    let revoked_id = listed.json["items"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["name"] == "revoked"))
        .and_then(|k| k["id"].as_str())
        .unwrap_or_else(|| panic!("the revoked key in {}", listed.json))
        .to_owned();
    let revoke = send_bearer(
        port,
        "POST",
        &format!("/api/admin/api-keys/{revoked_id}/revoke"),
        &admin,
        None,
    );
    assert_eq!(revoke.status, 200, "{}", revoke.json);
    let forged_request = TokenRequest {
        sub: "forger",
        ttl_seconds: 3600,
        max_ttl_seconds: hexaspin_core::admin_auth::DEFAULT_MAX_TTL_SECONDS,
        kid: None,
        issuer: None,
        audience: None,
    };
    let forged_admin = issue_admin_token(
        b"not the app's secret, but long enough to sign with",
        &forged_request,
        system_now(),
    )
    .expect("token");
    let users = [0, 1].map(|n| {
        let email = format!(
            "reuse{n}-{}@example.com",
            hexaspin_tests::fixtures::unique_suffix()
        );
        let credentials = json!({"email": email, "password": PASSWORD});
        let up = send(port, "POST", "/api/users", &[], Some(&credentials));
        assert_eq!(up.status, 202, "{}", up.json);
        let session = send(port, "POST", "/api/auth/token", &[], Some(&credentials));
        assert_eq!(session.status, 200, "{}", session.json);
        let access = session.json["access_token"]
            .as_str()
            .expect("access token")
            .to_owned();
        (email, access)
    });
    Callers {
        writer,
        reader,
        revoked,
        admin,
        forged_admin,
        users,
    }
}

/// Every client runs [`one_round`] [`ROUNDS`] times, all at once; returns how many requests
/// were sent. Panics on the first answer meant for another caller.
fn interleave(app: &App, callers: &Callers) -> usize {
    let port = app.port;
    std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|client| {
                scope.spawn(move || {
                    (0..ROUNDS)
                        .map(|round| one_round(port, callers, client, round))
                        .sum::<usize>()
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().expect("client")).sum()
    })
}

/// One request of each caller, in an order that differs from client to client; returns how many
/// requests it sent.
fn one_round(port: u16, callers: &Callers, client: usize, round: usize) -> usize {
    let tag = format!("{client}-{round}");
    let steps: [&dyn Fn(); 8] = [
        &|| {
            // The writer's job, read back by the writer and by a key that may read but not see it.
            let job = json!({"kind": "echo", "payload": {"tag": tag}});
            let created = send_bearer(port, "POST", "/api/jobs", &callers.writer, Some(&job));
            expect(&created, 202, "the writer's dispatch");
            let id = created.json["id"].as_str().expect("job id");
            let read = send_bearer(port, "GET", &format!("/api/jobs/{id}"), &callers.writer, None);
            expect(&read, 200, "the writer reading its job");
            assert_eq!(
                read.json["payload"]["tag"],
                json!(tag),
                "another job's payload: {}",
                read.json
            );
            let foreign = send_bearer(port, "GET", &format!("/api/jobs/{id}"), &callers.reader, None);
            expect(&foreign, 404, "another key reading the writer's job");
        },
        &|| {
            let job = json!({"kind": "echo", "payload": {}});
            let refused = send_bearer(port, "POST", "/api/jobs", &callers.reader, Some(&job));
            expect(&refused, 403, "a read-only key dispatching");
        },
        &|| {
            expect(
                &send_bearer(port, "GET", "/api/jobs", &callers.revoked, None),
                401,
                "a revoked key",
            )
        },
        &|| expect(&send(port, "GET", "/api/jobs", &[], None), 401, "no key"),
        &|| {
            let keys = send_bearer(port, "GET", "/api/admin/api-keys?limit=100", &callers.admin, None);
            expect(&keys, 200, "the admin listing keys");
        },
        &|| {
            let forged = send_bearer(port, "GET", "/api/admin/api-keys", &callers.forged_admin, None);
            expect(&forged, 401, "a forged admin token");
        },
        &|| {
            let (email, access) = &callers.users[0];
            let me = send_bearer(port, "GET", "/api/users/me", access, None);
            expect(&me, 200, "user 0 reading itself");
            assert_eq!(
                me.json["email"],
                json!(email),
                "another user's account: {}",
                me.json
            );
        },
        &|| {
            let (email, access) = &callers.users[1];
            let me = send_bearer(port, "GET", "/api/users/me", access, None);
            expect(&me, 200, "user 1 reading itself");
            assert_eq!(
                me.json["email"],
                json!(email),
                "another user's account: {}",
                me.json
            );
        },
    ];
    // Each client starts at another step, so the same instance sees different callers in turn.
    for step in 0..steps.len() {
        steps[(step + client + round) % steps.len()]();
    }
    // The writer's step sends three requests.
    steps.len() + 2
}

fn expect(reply: &Reply, status: u16, what: &str) {
    assert_eq!(reply.status, status, "{what}: {}", reply.json);
}

/// Breaks the instances' kept Redis connections twice, and checks that the requests after
/// recover: once while idle (closed and at once let through again), once with Redis away while
/// requests come. A dispatch on a broken connection or with Redis away is a 503 with
/// `Retry-After`; once Redis is back every instance opens a new connection by itself.
fn redis_breaks_and_recovers(app: &App, callers: &Callers, proxy: &CuttableProxy) {
    let port = app.port;
    let job = json!({"kind": "echo", "payload": {}});
    let dispatch_all = || -> BTreeMap<u16, usize> {
        let replies: Vec<Reply> = std::thread::scope(|scope| {
            let clients: Vec<_> = (0..CLIENTS)
                .map(|_| scope.spawn(|| send_bearer(port, "POST", "/api/jobs", &callers.writer, Some(&job))))
                .collect();
            clients.into_iter().map(|c| c.join().expect("client")).collect()
        });
        for reply in &replies {
            assert!(
                reply.status == 202 || (reply.status == 503 && reply.headers.contains_key("retry-after")),
                "a dispatch with Redis away or back: {} {}",
                reply.status,
                reply.json
            );
        }
        let mut by_status = BTreeMap::new();
        for reply in replies {
            *by_status.entry(reply.status).or_insert(0) += 1;
        }
        by_status
    };
    // The kept connections break while idle: the next requests are the first to meet them. A
    // round just before makes sure the instances are alive and hold a connection (Spin drops an
    // instance idle for a second: after a slow step there may be none left to break).
    let warm = dispatch_all();
    assert_eq!(warm, BTreeMap::from([(202, CLIENTS)]), "before the break");
    proxy.cut();
    proxy.restore();
    let met_broken = settles(&dispatch_all, "after the connections broke while idle");
    if SpinBuild::from_env() == SpinBuild::Wasip3 {
        // Otherwise this phase proved nothing: no instance had kept a connection.
        assert!(met_broken > 0, "no dispatch met a kept connection that broke");
    }
    // Redis away while requests come: every one is a 503; then it is back.
    proxy.cut();
    let while_away = dispatch_all();
    assert_eq!(while_away, BTreeMap::from([(503, CLIENTS)]), "with Redis away");
    proxy.restore();
    settles(&dispatch_all, "after Redis came back");
}

/// Sends rounds of [`CLIENTS`] dispatches until two rounds in a row are all accepted (at most
/// 20 rounds). Instances whose kept connection broke answer one request each with 503 and drop
/// it; how many instances there are is Spin's choice, so the check is that it settles, and soon.
/// Returns how many dispatches failed on the way.
fn settles(dispatch_all: &dyn Fn() -> BTreeMap<u16, usize>, when: &str) -> usize {
    let all_accepted = BTreeMap::from([(202, CLIENTS)]);
    let mut rounds = Vec::new();
    while rounds.len() < 20 {
        rounds.push(dispatch_all());
        if rounds.len() >= 2 && rounds[rounds.len() - 2..].iter().all(|r| *r == all_accepted) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let failed: usize = rounds.iter().map(|r| r.get(&503).copied().unwrap_or(0)).sum();
    println!("{when}: rounds of {CLIENTS} dispatches {rounds:?}; {failed} met a broken connection");
    assert!(
        rounds[rounds.len() - 2..].iter().all(|r| *r == all_accepted),
        "dispatches still fail {when}: {rounds:?}"
    );
    failed
}

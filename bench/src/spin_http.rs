//! `hexaspin-bench spin-http`: requests per second and latency of hexaspin's routes under a real
//! `spin up`, side by side with a hello-world Spin component (`bench/components/bench-hello`, the same
//! spin-sdk 5.2, target and profile) on the same Spin, in one run. Each route is reported as a
//! ratio of hello-world's requests per second.
//!
//! Both builds run: WASIp2 (spin.toml) and WASIp3 (spin.wasip3.toml, with its own hello world,
//! `bench/components/bench-hello-p3`), the WASIp3 rows also with TCP_NODELAY set on Spin's
//! accepted connections by an `LD_PRELOAD` shim ([`crate::nodelay`]). Production rows count the
//! Redis connections opened while they ran (`INFO stats`; nothing else uses that Redis then).
//!
//! Next to them, the floors (`bench/components/bench-floors`): what Spin alone charges for the host
//! calls a hexaspin request makes (a Redis connection with two commands, a pooled Postgres query,
//! the variable reads of a key read and of a dispatch), with no app logic around them.
//!
//! Every scenario runs `BENCH_CONNECTIONS` (default 16) keep-alive HTTP/1.1 connections, each
//! sending its next request as soon as the previous one is answered, for `BENCH_SECONDS`
//! (default 10) after one second of warm-up. Latency is per request as the client sees it.
//! `BENCH_ROWS` (parts of row names separated by `;`, e.g. `embedded;hello world, WASIp3`) runs only
//! the rows whose name contains one of them; the first row (the baseline) always runs.
//! Needs Spin on PATH, the wasm components built (`cargo xtask build-wasm`), PostgreSQL and Redis.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use hexaspin_tests::spin_up::{App, Deployment, SpinBuild, SpinUp, start_app_as};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

use crate::percentile;

/// One request of a scenario (built once, sent again and again).
#[derive(Clone)]
pub(crate) struct Call {
    pub(crate) method: http::Method,
    pub(crate) path: String,
    headers: Vec<(&'static str, String)>,
    body: Option<String>,
}

impl Call {
    pub(crate) fn get(path: &str) -> Self {
        Self {
            method: http::Method::GET,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn bearer(mut self, token: &str) -> Self {
        self.headers.push(("authorization", format!("Bearer {token}")));
        self
    }

    pub(crate) fn post_json(path: &str, body: serde_json::Value) -> Self {
        Self {
            method: http::Method::POST,
            path: path.to_owned(),
            headers: vec![("content-type", "application/json".to_owned())],
            body: Some(body.to_string()),
        }
    }

    pub(crate) fn request(&self, port: u16) -> anyhow::Result<http::Request<Full<Bytes>>> {
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(&self.path)
            .header("host", format!("127.0.0.1:{port}"));
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        let body = Bytes::from(self.body.clone().unwrap_or_default());
        Ok(builder.body(Full::new(body))?)
    }
}

/// What one scenario measured.
struct Figures {
    name: String,
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    not_2xx: usize,
    total: usize,
    /// New Redis connections while the row ran (production rows only).
    redis_connections: Option<u64>,
}

/// Whether `BENCH_ROWS` asks for the row called `name` (every row when it is unset).
fn wanted(name: &str) -> bool {
    match std::env::var("BENCH_ROWS") {
        Ok(parts) if !parts.trim().is_empty() => parts
            .split(';')
            .any(|part| !part.trim().is_empty() && name.contains(part.trim())),
        _ => true,
    }
}

/// [`load`] for a row `BENCH_ROWS` asks for; nothing for one it leaves out.
async fn load_if_wanted(
    name: &str,
    port: u16,
    call: Call,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Option<Figures>> {
    if !wanted(name) {
        return Ok(None);
    }
    load(name, port, call, connections, seconds).await.map(Some)
}

/// Sends `call` over `connections` keep-alive connections for `seconds` after a 1 s warm-up.
async fn load(
    name: &str,
    port: u16,
    call: Call,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Figures> {
    let call = Arc::new(call);
    let warm_until = Instant::now() + Duration::from_secs(1);
    let until = warm_until + Duration::from_secs(seconds);
    let mut clients = Vec::new();
    for _ in 0..connections {
        let call = call.clone();
        clients.push(tokio::spawn(async move {
            client(port, &call, warm_until, until).await
        }));
    }
    let mut latencies = Vec::new();
    let mut not_2xx = 0;
    for client in clients {
        let (mut measured, refused) = client.await??;
        latencies.append(&mut measured);
        not_2xx += refused;
    }
    latencies.sort();
    anyhow::ensure!(!latencies.is_empty(), "{name}: no request was answered");
    Ok(Figures {
        name: name.to_owned(),
        requests_per_second: latencies.len() as f64 / seconds as f64,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        not_2xx,
        total: latencies.len(),
        redis_connections: None,
    })
}

/// One connection's loop: its measured latencies and how many of them were not 2xx.
async fn client(
    port: u16,
    call: &Call,
    warm_until: Instant,
    until: Instant,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let mut latencies = Vec::new();
    let mut not_2xx = 0;
    let mut sender = connect(port).await?;
    while Instant::now() < until {
        let started = Instant::now();
        if sender.ready().await.is_err() {
            sender = connect(port).await?; // the server closed the connection: open another
            continue;
        }
        let response = sender.send_request(call.request(port)?).await?;
        let status = response.status();
        response.into_body().collect().await?;
        if started >= warm_until {
            latencies.push(started.elapsed());
            if !status.is_success() {
                not_2xx += 1;
            }
        }
    }
    Ok((latencies, not_2xx))
}

pub(crate) async fn connect(port: u16) -> anyhow::Result<http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

pub(crate) fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Creates a key allowed far more than the benchmark sends, and dispatches one job with it;
/// returns the key and the job's id.
async fn key_and_job(app: &App) -> anyhow::Result<(String, String)> {
    let port = app.port;
    let token = hexaspin_tests::api::admin_token("bench", hexaspin_config::os::system_now());
    let created = tokio::task::spawn_blocking(move || {
        let body = serde_json::json!({
            "name": "bench", "scopes": ["jobs:read", "jobs:write"],
            "limits": {"rate_per_sec": 1_000_000, "burst": 1_000_000}
        });
        let created =
            hexaspin_tests::http::send_bearer(port, "POST", "/api/admin/api-keys", &token, Some(&body));
        let key = created.json["key"].as_str().map(str::to_owned);
        let job = key.as_ref().map(|key| {
            let body = serde_json::json!({"kind": "echo", "payload": {}});
            hexaspin_tests::http::send_bearer(port, "POST", "/api/jobs", key, Some(&body))
        });
        (created, key, job)
    })
    .await?;
    let (created, key, job) = created;
    let key = key.with_context(|| format!("creating a key: {} {}", created.status, created.json))?;
    let job = job.expect("a key was created");
    let id = job.json["id"]
        .as_str()
        .with_context(|| format!("dispatching: {} {}", job.status, job.json))?
        .to_owned();
    Ok((key, id))
}

fn dispatch_call(key: &str) -> Call {
    Call::post_json(
        "/api/jobs",
        serde_json::json!({"kind": "echo", "payload": {"n": 1}}),
    )
    .bearer(key)
}

pub async fn run() -> anyhow::Result<()> {
    let connections = env_number("BENCH_CONNECTIONS", 16) as usize;
    let seconds = env_number("BENCH_SECONDS", 10);
    let version = hexaspin_tests::spin_up::spin_version().context("`spin` must be on PATH")?;
    let root = hexaspin_tests::spin_up::workspace_root();
    for built in [
        "target/wasm32-wasip2/release/hexaspin_bench_hello.wasm",
        "target/wasm32-wasip2/release/hexaspin_bench_hello_p3.wasm",
        "target/wasm32-wasip2/wasip3/hexaspin_jobs.wasm",
        "spin.wasip3.toml",
    ] {
        anyhow::ensure!(
            root.join(built).is_file(),
            "{built} is missing: build the components first (cargo xtask build-wasm)"
        );
    }
    println!(
        "hexaspin HTTP bench under {version}: {connections} keep-alive connections, {seconds} s per row after 1 s warm-up\n"
    );
    let scratch = tempfile::tempdir()?;
    let shim = crate::nodelay::build(scratch.path())?;
    let shim = shim.to_string_lossy().into_owned();
    let nodelay = [("LD_PRELOAD", shim.as_str())];

    let mut rows = Vec::new();
    let hellos = [
        (
            "hello world, WASIp2 (baseline)",
            "bench/components/bench-hello/spin.toml",
            &[][..],
        ),
        (
            "hello world, WASIp3",
            "bench/components/bench-hello-p3/spin.toml",
            &[][..],
        ),
        (
            "hello world, WASIp3, TCP_NODELAY",
            "bench/components/bench-hello-p3/spin.toml",
            &nodelay[..],
        ),
    ];
    for (index, (name, manifest, env)) in hellos.into_iter().enumerate() {
        // The first row is the baseline every ratio is of.
        if index > 0 && !wanted(name) {
            continue;
        }
        let output = scratch.path().join("spin-output.txt");
        let hello = SpinUp::start(&root.join(manifest), &[], env, &output);
        rows.push(load(name, hello.port, Call::get("/"), connections, seconds).await?);
    }
    rows.extend(floors(&root, scratch.path(), connections, seconds).await?);

    let builds = [
        (SpinBuild::Wasip2, "WASIp2", &[][..]),
        (SpinBuild::Wasip3, "WASIp3", &[][..]),
        (SpinBuild::Wasip3, "WASIp3, TCP_NODELAY", &nodelay[..]),
    ];
    let redis = hexaspin_tests::fixtures::test_redis().await;
    for (build, label, env) in builds {
        let embedded_rows = [
            "GET /healthz (WASIp2)".to_owned(),
            format!("GET /api/jobs/{{id}} (embedded, {label})"),
            format!("POST /api/jobs (embedded, {label})"),
        ];
        let production_rows = [
            format!("GET /api/jobs/{{id}} (production, {label})"),
            format!("POST /api/jobs (production, {label})"),
        ];
        // The health row runs on the WASIp2 build only.
        let first = usize::from(build != SpinBuild::Wasip2);
        if embedded_rows[first..]
            .iter()
            .chain(&production_rows)
            .all(|name| !wanted(name))
        {
            continue;
        }
        let embedded = start_app_as(build, Deployment::EMBEDDED, env)
            .await
            .map_err(anyhow::Error::msg)?;
        let (key, job) = key_and_job(&embedded).await?;
        let port = embedded.port;
        let [health, read_name, dispatch_name] = &embedded_rows;
        if build == SpinBuild::Wasip2 {
            let call = Call::get("/healthz");
            rows.extend(load_if_wanted(health, port, call, connections, seconds).await?);
        }
        let read = Call::get(&format!("/api/jobs/{job}")).bearer(&key);
        rows.extend(load_if_wanted(read_name, port, read, connections, seconds).await?);
        let dispatch = dispatch_call(&key);
        rows.extend(load_if_wanted(dispatch_name, port, dispatch, connections, seconds).await?);
        embedded.stop();

        if production_rows.iter().all(|name| !wanted(name)) {
            continue;
        }
        let production = start_app_as(build, Deployment::PRODUCTION, env)
            .await
            .map_err(anyhow::Error::msg)?;
        let (key, job) = key_and_job(&production).await?;
        let port = production.port;
        let read = Call::get(&format!("/api/jobs/{job}")).bearer(&key);
        for (name, call) in production_rows.into_iter().zip([read, dispatch_call(&key)]) {
            if !wanted(&name) {
                continue;
            }
            let before = connections_received(&redis).await?;
            let mut row = load(&name, port, call, connections, seconds).await?;
            let opened = connections_received(&redis).await? - before;
            row.redis_connections = Some(opened);
            rows.push(row);
        }
        production.stop();
    }

    if rows.len() == 1 && std::env::var("BENCH_ROWS").is_ok_and(|parts| !parts.trim().is_empty()) {
        eprintln!("BENCH_ROWS matched no row but the baseline (its parts are separated by `;`)");
    }
    print(&rows);
    Ok(())
}

/// Redis's count of connections it has accepted since it started (`INFO stats`).
async fn connections_received(redis: &hexaspin_native::NativeRedis) -> anyhow::Result<u64> {
    let info = redis.command(&["INFO", "stats"]).await?;
    let text = format!("{info:?}");
    text.split(['\n', '\r'])
        .find_map(|line| line.split("total_connections_received:").nth(1))
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .context("INFO stats without total_connections_received")
}

/// Spin's own cost of each kind of host call a request makes (`bench/components/bench-floors`).
async fn floors(
    root: &std::path::Path,
    scratch: &std::path::Path,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Vec<Figures>> {
    let redis_url = hexaspin_tests::fixtures::test_redis_url();
    let pg_url = format!("{}?sslmode=disable", hexaspin_tests::fixtures::test_pg_url());
    let env = [
        ("SPIN_VARIABLE_REDIS_URL", redis_url.as_str()),
        ("SPIN_VARIABLE_PG_URL", pg_url.as_str()),
    ];
    let floor_rows = [
        ("floor: Redis connection + 2 commands", "/redis"),
        ("floor: pooled Postgres query", "/postgres"),
        ("floor: 6 variable reads (a key read)", "/variables/6"),
        ("floor: 13 variable reads (a dispatch)", "/variables/13"),
    ];
    if !floor_rows.iter().any(|(name, _)| wanted(name)) {
        return Ok(Vec::new());
    }
    let manifest = root.join("bench/components/bench-floors/spin.toml");
    let floors = SpinUp::start(&manifest, &[], &env, &scratch.join("floors-output.txt"));
    let port = floors.port;
    let mut rows = Vec::new();
    for (name, path) in floor_rows {
        rows.extend(load_if_wanted(name, port, Call::get(path), connections, seconds).await?);
    }
    Ok(rows)
}

/// The table, every row as a ratio of the first (the WASIp2 hello world).
fn print(rows: &[Figures]) {
    let baseline = rows[0].requests_per_second;
    println!(
        "| route | requests/s | p50 ms | p99 ms | of WASIp2 hello world | new Redis connections per 1 000 requests | not 2xx |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let connections = row.redis_connections.map_or_else(
            || "".to_owned(),
            |opened| format!("{:.0}", 1000.0 * opened as f64 / row.total.max(1) as f64),
        );
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.0} % | {connections} | {} of {} |",
            row.name,
            row.requests_per_second,
            row.p50.as_secs_f64() * 1e3,
            row.p99.as_secs_f64() * 1e3,
            100.0 * row.requests_per_second / baseline,
            row.not_2xx,
            row.total
        );
    }
}

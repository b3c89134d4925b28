//! Floors for the HTTP benchmark: each route does only the host calls one part of a hexaspin
//! request does, and nothing else, so the benchmark can tell what Spin itself charges for them:
//!
//! - `/redis`: open a Redis connection (Spin opens one per request) and send two commands, as a
//!   production dispatch does (the dispatch script and the request count);
//! - `/postgres`: take a pooled Postgres connection and run one query, as a key lookup does;
//! - `/variables/{n}`: read `n` Spin variables, as settings are read.
//!
//! A failed host call answers 500 with the reason, so a misconfigured run cannot pass for fast.

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use spin_sdk::{http_component, pg4, redis, variables};

#[http_component]
fn floors(request: http::Request<Vec<u8>>) -> http::Response<String> {
    let path = request.uri().path();
    let outcome = match path.strip_prefix("/variables/") {
        Some(n) => read_variables(n.parse().unwrap_or(0)),
        None if path == "/redis" => redis_round_trips(),
        None if path == "/postgres" => postgres_query(),
        None => Err(format!("no floor at {path}")),
    };
    let (status, body) = match outcome {
        Ok(()) => (200, String::new()),
        Err(reason) => (500, reason),
    };
    http::Response::builder()
        .status(status)
        .body(body)
        .unwrap_or_default()
}

fn setting(name: &str) -> Result<String, String> {
    variables::get(name).map_err(|e| format!("variable {name}: {e}"))
}

fn read_variables(n: usize) -> Result<(), String> {
    for i in 0..n {
        setting(&format!("v{}", i % 20))?;
    }
    Ok(())
}

fn redis_round_trips() -> Result<(), String> {
    let connection = redis::Connection::open(&setting("redis_url")?).map_err(|e| e.to_string())?;
    for _ in 0..2 {
        connection.execute("PING", &[]).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn postgres_query() -> Result<(), String> {
    let connection = pg4::Connection::open(&setting("pg_url")?).map_err(|e| e.to_string())?;
    connection
        .query("SELECT 1::bigint", &[])
        .map(drop)
        .map_err(|e| format!("{e:?}"))
}

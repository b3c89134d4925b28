//! Health (component `health`): `GET /health` and `GET /healthz` say the component runs (no I/O);
//! `GET /readyz` asks every configured store, each with a short timeout, and answers 503 naming
//! the first that does not answer.

use http::{Method, StatusCode};
use serde::Serialize;

use crate::admin_keys::json;
use crate::{ApiError, Request, Response};

/// The version reported by `/health`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// One dependency to check: its name (`sqlite`, `postgres`, `redis`) and the outcome of a ping.
pub struct Dependency {
    /// Shown in the response.
    pub name: &'static str,
    /// `Err` with a reason for the log (never shown) when it did not answer.
    pub ping: Result<(), String>,
}

#[derive(Serialize)]
struct Live {
    status: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Ready<'a> {
    status: &'static str,
    version: &'static str,
    checks: Vec<Check<'a>>,
}

#[derive(Serialize)]
struct Check<'a> {
    name: &'a str,
    status: &'static str,
}

/// Whether a request is for readiness (the caller then pings its stores first).
pub fn wants_readiness(request: &Request) -> bool {
    request.uri().path() == "/readyz"
}

/// Answers `/health`, `/healthz` and (given the pings) `/readyz`.
pub fn respond(request: &Request, dependencies: &[Dependency]) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "use GET")
            .with_header(http::header::ALLOW, "GET, HEAD")
            .into_response();
    }
    match request.uri().path() {
        "/health" | "/healthz" => json(
            StatusCode::OK,
            &Live {
                status: "ok",
                version: VERSION,
            },
        ),
        "/readyz" => {
            if let Some(down) = dependencies.iter().find(|d| d.ping.is_err()) {
                if let Err(reason) = &down.ping {
                    crate::log::error(&format!("readiness: {}", down.name), reason);
                }
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "dependency_unavailable",
                    format!("{} is not answering", down.name),
                )
                .with_header(http::header::RETRY_AFTER, "5")
                .into_response();
            }
            let checks = dependencies
                .iter()
                .map(|d| Check {
                    name: d.name,
                    status: "ok",
                })
                .collect();
            json(
                StatusCode::OK,
                &Ready {
                    status: "ready",
                    version: VERSION,
                    checks,
                },
            )
        }
        _ => ApiError::not_found().into_response(),
    }
}

//! Health (component `health`): `GET /health` and `GET /healthz` say the component runs (no I/O);
//! `GET /readyz` asks every configured store ([`check_dependencies`] decides which) and answers 503
//! naming the first that does not answer.

use hexaspin_config::settings::{ConfigError, QueueSettings, StoreSettings};
use http::{Method, StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::response::json;
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

/// The component runs.
#[derive(Serialize, ToSchema)]
struct Live {
    /// `ok`.
    status: &'static str,
    version: &'static str,
}

/// Every store the service needs answers.
#[derive(Serialize, ToSchema)]
struct Ready<'a> {
    /// `ready`.
    status: &'static str,
    version: &'static str,
    checks: Vec<Check<'a>>,
}

/// One store and its answer.
#[derive(Serialize, ToSchema)]
struct Check<'a> {
    /// `sqlite`, `postgres` or `redis`.
    name: &'a str,
    status: &'static str,
}

/// The dependencies readiness reports, in order: the key store (`sqlite` or `postgres`), then the
/// queue when it is not in that same database (`redis`). A setting that cannot be read stands as
/// a `configuration` dependency that is down, with the reason for the log. `ping_store` and
/// `ping_queue` reach the real stores; each is called at most once.
pub async fn check_dependencies(
    store: Result<StoreSettings, ConfigError>,
    queue: Result<QueueSettings, ConfigError>,
    ping_store: impl AsyncFnOnce(&StoreSettings) -> Result<(), String>,
    ping_queue: impl AsyncFnOnce(&QueueSettings) -> Result<(), String>,
) -> Vec<Dependency> {
    let mut dependencies = vec![match &store {
        Ok(settings @ StoreSettings::Sqlite { .. }) => Dependency {
            name: "sqlite",
            ping: ping_store(settings).await,
        },
        Ok(settings @ StoreSettings::Postgres { .. }) => Dependency {
            name: "postgres",
            ping: ping_store(settings).await,
        },
        Err(error) => misconfigured(error),
    }];
    match &queue {
        // The embedded queue lives in the SQLite database checked above.
        Ok(QueueSettings::Sqlite { .. }) => {}
        Ok(settings @ QueueSettings::Redis { .. }) => dependencies.push(Dependency {
            name: "redis",
            ping: ping_queue(settings).await,
        }),
        Err(error) => dependencies.push(misconfigured(error)),
    }
    dependencies
}

fn misconfigured(error: &ConfigError) -> Dependency {
    Dependency {
        name: "configuration",
        ping: Err(error.to_string()),
    }
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

/// The health routes as the OpenAPI document describes them.
pub(crate) mod paths {
    #![allow(dead_code)]

    use super::{Live, Ready};
    use crate::openapi::problems::DependencyUnavailable;

    /// Liveness: the component runs (no I/O).
    #[utoipa::path(get, path = "/healthz", tag = "health", operation_id = "liveness",
        responses((status = 200, description = "Alive.", body = Live)))]
    pub(crate) fn liveness() {}

    /// The same as `/healthz`.
    #[utoipa::path(get, path = "/health", tag = "health", operation_id = "health",
        responses((status = 200, description = "Alive.", body = Live)))]
    pub(crate) fn health() {}

    /// Readiness: pings every store the service is configured with.
    #[utoipa::path(get, path = "/readyz", tag = "health", operation_id = "readiness",
        responses(
            (status = 200, description = "Every store answers.", body = Ready),
            (status = 503, response = DependencyUnavailable),
        ))]
    pub(crate) fn readiness() {}
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn postgres() -> Result<StoreSettings, ConfigError> {
        Ok(StoreSettings::Postgres {
            url: "postgres://db/app".into(),
        })
    }

    fn redis() -> Result<QueueSettings, ConfigError> {
        Ok(QueueSettings::Redis {
            url: "redis://cache".into(),
            prefix: "hx:".into(),
        })
    }

    fn names(dependencies: &[Dependency]) -> Vec<(&str, bool)> {
        dependencies.iter().map(|d| (d.name, d.ping.is_ok())).collect()
    }

    #[tokio::test]
    async fn production_checks_postgres_then_redis_and_reports_each_outcome() {
        let checked = check_dependencies(
            postgres(),
            redis(),
            async |_| Ok(()),
            async |_| Err("connection refused".to_owned()),
        )
        .await;
        assert_eq!(names(&checked), [("postgres", true), ("redis", false)]);
    }

    #[tokio::test]
    async fn the_embedded_queue_is_not_pinged_apart_from_its_database() {
        let queue_pinged = Cell::new(false);
        let checked = check_dependencies(
            Ok(StoreSettings::Sqlite { path: "db".into() }),
            Ok(QueueSettings::Sqlite { path: "db".into() }),
            async |_| Ok(()),
            async |_| {
                queue_pinged.set(true);
                Ok(())
            },
        )
        .await;
        assert_eq!(names(&checked), [("sqlite", true)]);
        assert!(!queue_pinged.get());
    }

    #[tokio::test]
    async fn an_unreadable_setting_is_a_configuration_dependency_that_is_down() {
        let checked = check_dependencies(
            Err(ConfigError::Missing("pg_url")),
            redis(),
            async |_| panic!("nothing to ping without settings"),
            async |_| Ok(()),
        )
        .await;
        assert_eq!(names(&checked), [("configuration", false), ("redis", true)]);
        let request = http::Request::builder()
            .uri("/readyz")
            .body(Vec::new())
            .expect("request");
        let response = respond(&request, &checked);
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = String::from_utf8(response.into_body()).expect("utf-8");
        assert!(body.contains("configuration is not answering"), "{body}");
        assert!(!body.contains("pg_url"), "the reason is for the log only: {body}");
    }
}

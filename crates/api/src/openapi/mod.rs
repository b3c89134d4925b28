//! The OpenAPI 3.1 document of every route, generated from the types the handlers use.
//!
//! Each API module describes its operations beside its handlers (`paths`, one
//! `#[utoipa::path]` per operation); request and response bodies are the very DTOs the handlers
//! (de)serialise, with `ToSchema`/`IntoParams` derived on them; the problem responses, with the
//! `code` values each can carry, are in [`problems`]. [`document`] assembles them. It is served
//! at `GET /openapi.json` ([`crate::docs`]), printed by `runtime-worker openapi`, and checked
//! against the running app by schemathesis in the tests.
//!
//! # Layout
//! - [`problems`]: problem+json responses by meaning, each with its codes and headers.
//! - [`headers`]: success headers described once (`RateLimit-*`, `x-request-id`).
//! - [`schemas`]: schemas of domain value sets (states, scopes).

pub(crate) mod headers;
pub(crate) mod problems;
pub(crate) mod schemas;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{Modify, OpenApi};

use crate::{admin_keys, docs, health, jobs, metrics, users};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hexaspin",
        description = "API keys managed by admins, job dispatch under per-key quotas, end users' accounts and sessions, health and metrics. \
Errors are `application/problem+json` with a stable `code`; every response carries `x-request-id`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        admin_keys::paths::create_api_key,
        admin_keys::paths::list_api_keys,
        admin_keys::paths::get_api_key,
        admin_keys::paths::update_api_key,
        admin_keys::paths::revoke_api_key,
        admin_keys::paths::rotate_api_key,
        admin_keys::paths::list_audit,
        jobs::paths::dispatch_job,
        jobs::paths::dispatch_job_batch,
        jobs::paths::list_jobs,
        jobs::paths::get_job,
        jobs::paths::cancel_job,
        jobs::paths::queue_depths,
        jobs::paths::admin_list_jobs,
        jobs::paths::retry_dead_job,
        jobs::paths::delete_job,
        health::paths::health,
        health::paths::liveness,
        health::paths::readiness,
        metrics::paths::metrics,
        docs::paths::openapi_document,
        docs::paths::docs_page,
        users::paths::sign_up,
        users::paths::sign_in,
        users::paths::refresh,
        users::paths::logout,
        users::paths::get_me,
        users::paths::update_me,
        users::paths::change_password,
        users::paths::list_users,
        users::paths::get_user,
        users::paths::delete_user,
        users::paths::disable_user,
        users::paths::enable_user,
    ),
    components(
        schemas(crate::problem::ProblemBody),
        responses(
            problems::BadBody, problems::BadQuery, problems::AdminUnauthorized, problems::AdminForbidden,
            problems::KeyUnauthorized, problems::KeyForbidden, problems::KeyTooManyRequests,
            problems::DispatchTooManyRequests, problems::NotFound, problems::KeyConflict,
            problems::JobNotDead, problems::JobRunning, problems::PayloadTooLarge,
            problems::UnsupportedMediaType, problems::InvalidField, problems::DispatchInvalid, problems::BatchInvalid,
            problems::InternalError, problems::StoreUnavailable, problems::DependencyUnavailable,
            problems::MetricsClosed, problems::MetricsUnauthorized, problems::UserUnauthorized, problems::SignInUnauthorized,
            problems::RefreshUnauthorized, problems::AccountDisabled, problems::PasswordForbidden,
            problems::TooManyAttempts, problems::UserConflict,
        ),
    ),
    modifiers(&SecuritySchemes, &RequestIdOnEveryResponse),
    tags(
        (name = "api-keys", description = "Admin: API keys and the audit log (admin JWT)."),
        (name = "jobs", description = "Clients: dispatch and read jobs (API key)."),
        (name = "queues", description = "Admin: queue depths and dead jobs (admin JWT)."),
        (name = "health", description = "Liveness and readiness."),
        (name = "metrics", description = "Prometheus metrics."),
        (name = "docs", description = "This document and its docs page."),
        (name = "users", description = "End users: sign-up, sign-in, sessions, their account (user JWT)."),
        (name = "users-admin", description = "Admin: end users' accounts (admin JWT)."),
    ),
)]
struct ApiDoc;

/// The admin JWT, the API key (as a bearer token or in `X-API-Key`) and the metrics token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let bearer = |format: &str, description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format(format)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "admin_jwt",
            bearer(
                "JWT",
                "An HS256 admin token (`role: admin`, `iat`, `exp`), e.g. from `runtime-worker admin-token`.",
            ),
        );
        components.add_security_scheme(
            "api_key",
            bearer("hx_<id>_<secret>", "An API key as a bearer token."),
        );
        components.add_security_scheme(
            "api_key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key in the `X-API-Key` header.",
            ))),
        );
        components.add_security_scheme(
            "user_jwt",
            bearer(
                "JWT",
                "A user access token (`role: user`) from `POST /api/auth/token` or `/api/auth/refresh`.",
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            bearer("opaque", "The `metrics_token` setting, when it is set."),
        );
    }
}

/// Every response, success or problem, carries `x-request-id`.
struct RequestIdOnEveryResponse;

impl Modify for RequestIdOnEveryResponse {
    fn modify(&self, openapi: &mut Document) {
        let add = |response: &mut utoipa::openapi::Response| {
            response
                .headers
                .insert("x-request-id".to_owned(), headers::request_id());
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        add(response);
                    }
                }
            }
        }
        if let Some(components) = openapi.components.as_mut() {
            for response in components.responses.values_mut() {
                if let RefOr::T(response) = response {
                    add(response);
                }
            }
        }
    }
}

/// The document, with this build's version.
pub fn document() -> Document {
    let mut document = ApiDoc::openapi();
    document.info.version = crate::health::VERSION.to_owned();
    document
}

/// The document as pretty-printed JSON.
pub fn document_json() -> String {
    // Serialising a document of strings and maps cannot fail; an empty object would be caught
    // by every test that reads it.
    let mut value = serde_json::to_value(document()).unwrap_or_default();
    camel_case_links(&mut value);
    serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".to_owned())
}

/// utoipa 5.5 writes a Link Object's fields in snake case (`operation_id`), which no OpenAPI
/// tool reads (the validator refuses the document, schemathesis ignores the links): renamed to
/// the specification's `operationId`, `operationRef` and `requestBody`.
fn camel_case_links(document: &mut serde_json::Value) {
    const RENAMES: [(&str, &str); 3] = [
        ("operation_id", "operationId"),
        ("operation_ref", "operationRef"),
        ("request_body", "requestBody"),
    ];
    let Some(paths) = document.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let responses = paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("responses").and_then(|r| r.as_object_mut()))
        .flat_map(|responses| responses.values_mut());
    for response in responses {
        let Some(links) = response.get_mut("links").and_then(|l| l.as_object_mut()) else {
            continue;
        };
        for link in links.values_mut().filter_map(|link| link.as_object_mut()) {
            for (from, to) in RENAMES {
                if let Some(value) = link.remove(from) {
                    link.insert(to.to_owned(), value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::Value;

    use super::*;
    use crate::routing::RouteTable;

    fn document_value() -> Value {
        serde_json::from_str(&document_json()).expect("the document is JSON")
    }

    fn operations(document: &Value) -> Vec<(String, String, &Value)> {
        let mut found = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                found.push((path.clone(), method.to_uppercase(), operation));
            }
        }
        found
    }

    /// Every (path, method) the handlers' route tables answer.
    fn routed() -> Vec<(String, String)> {
        let mut routed = Vec::new();
        let mut add = |path: &str, methods: &str| {
            for method in methods.split(", ") {
                routed.push((path.to_owned(), method.to_owned()));
            }
        };
        fn table<R: RouteTable>(add: &mut impl FnMut(&str, &str)) {
            for (path, route) in R::ROUTES {
                add(path, route.allowed_methods());
            }
        }
        table::<admin_keys::Route>(&mut add);
        table::<jobs::Route>(&mut add);
        table::<users::Route>(&mut add);
        for path in [
            "/health",
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.json",
            "/docs",
        ] {
            add(path, "GET");
        }
        routed.sort();
        routed
    }

    #[test]
    fn links_name_their_target_operation_as_the_specification_spells_it() {
        let document = document_value();
        let link =
            &document["paths"]["/api/admin/api-keys"]["post"]["responses"]["201"]["links"]["GetApiKey"];
        assert_eq!(link["operationId"], "getApiKey");
        assert!(link.get("operation_id").is_none(), "{link}");
        let ids: Vec<&str> = operations(&document)
            .iter()
            .filter_map(|(_, _, operation)| operation["operationId"].as_str())
            .collect();
        for (_, _, operation) in operations(&document) {
            for response in operation["responses"].as_object().expect("responses").values() {
                for link in response["links"].as_object().into_iter().flat_map(|l| l.values()) {
                    let target = link["operationId"].as_str().expect("operationId");
                    assert!(ids.contains(&target), "{target} is an operation");
                }
            }
        }
    }

    #[test]
    fn every_routed_method_is_described_and_nothing_else_is() {
        let document = document_value();
        let mut described: Vec<(String, String)> = operations(&document)
            .into_iter()
            .map(|(path, method, _)| (path, method))
            .collect();
        described.sort();
        assert_eq!(described, routed());
    }

    #[test]
    fn every_response_names_its_request_id_and_every_problem_is_problem_json() {
        let document = document_value();
        let responses = document["components"]["responses"]
            .as_object()
            .expect("responses");
        for (path, method, operation) in operations(&document) {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let response = match response["$ref"].as_str() {
                    Some(reference) => &responses[reference.rsplit('/').next().expect("name")],
                    None => response,
                };
                assert!(
                    response["headers"]["x-request-id"].is_object(),
                    "{method} {path} {status}"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    let codes = &response["content"]["application/problem+json"]["schema"]["allOf"][1]["properties"]
                        ["code"]["enum"];
                    assert!(
                        codes.as_array().is_some_and(|c| !c.is_empty()),
                        "{method} {path} {status} lists its codes"
                    );
                }
            }
        }
    }

    /// The README's API tables name routes as `` | `METHOD /path` | ``: the same set as the
    /// document's operations under `/api/`, so the summary cannot drift from the description.
    #[test]
    fn the_readme_api_tables_list_exactly_the_documented_api_routes() {
        let readme =
            std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
                .expect("README.md");
        let mut in_readme: Vec<(String, String)> = readme
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once('`').map(|(route, _)| route))
            .filter_map(|route| route.split_once(' '))
            .filter(|(method, path)| {
                ["GET", "POST", "PATCH", "PUT", "DELETE"].contains(method) && path.starts_with("/api/")
            })
            .map(|(method, path)| (path.to_owned(), method.to_owned()))
            .collect();
        in_readme.sort();
        let mut documented: Vec<(String, String)> = operations(&document_value())
            .into_iter()
            .filter(|(path, _, _)| path.starts_with("/api/"))
            .map(|(path, method, _)| (path, method))
            .collect();
        documented.sort();
        assert_eq!(in_readme, documented);
    }

    /// `docs/openapi.json` is the published copy: a change to a DTO or a route that is not
    /// carried into it fails here. `HEXASPIN_UPDATE_OPENAPI=1` rewrites it.
    #[test]
    fn the_published_document_is_the_one_the_code_generates() {
        let published = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let generated = format!("{}\n", document_json());
        if std::env::var_os("HEXASPIN_UPDATE_OPENAPI").is_some() {
            std::fs::write(&published, &generated).expect("write docs/openapi.json");
        }
        let on_disk = std::fs::read_to_string(&published).unwrap_or_default();
        assert!(
            on_disk == generated,
            "docs/openapi.json differs from the document the code generates; review the change and \
             run `HEXASPIN_UPDATE_OPENAPI=1 cargo test -p hexaspin-api openapi` to publish it"
        );
    }
}

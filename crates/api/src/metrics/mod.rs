//! Metrics (component `metrics`): `GET /metrics` renders what the stores have aggregated — keys
//! by state, jobs by state and priority, job outcome, quota and request counters, worker
//! heartbeats — in the Prometheus text format. Nothing is counted in component memory.
//!
//! When the `metrics_token` setting is set, scrapes must send `Authorization: Bearer <token>`
//! (Prometheus: `authorization.credentials_file`); it is compared in constant time. Without a
//! token the endpoint is closed (403 `metrics_closed`) unless `allow_public_metrics` is `true`,
//! as spin.toml sets it for `spin up` on a laptop: a deployment that forgets the token does not
//! publish its counters.

pub mod exposition;
pub mod requests;

use hexaspin_core::Timestamp;
use hexaspin_core::job::JobKind;
use hexaspin_core::ports::{ApiKeyStore, JobStore, MetricsStore};
use hexaspin_core::secret_quality::check_secret;
use hexaspin_core::use_cases::collect_metrics;
use http::{Method, StatusCode, header};
use subtle::ConstantTimeEq;

use crate::bearer::Bearer;
use crate::{ApiError, Request, Response};
use hexaspin_config::settings::{ConfigError, ConfigSource, load_allow_public_metrics};

/// The shortest token accepted: anything shorter is guessable.
const MIN_TOKEN_BYTES: usize = 32;

/// The bearer token scrapers must present (setting `metrics_token`). Never printed.
#[derive(Clone)]
pub struct MetricsToken(String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

impl MetricsToken {
    /// Reads `metrics_token`: `None` (open endpoint) when unset, an error when too short, a
    /// placeholder or of too little entropy.
    pub fn load(source: &dyn ConfigSource) -> Result<Option<Self>, ConfigError> {
        match source.get("metrics_token")? {
            None => Ok(None),
            Some(token) => {
                check_secret("metrics_token", token.as_bytes(), MIN_TOKEN_BYTES).map_err(|e| {
                    ConfigError::Invalid {
                        name: "metrics_token",
                        reason: e.reason,
                    }
                })?;
                Ok(Some(Self(token)))
            }
        }
    }

    fn admits(&self, request: &Request) -> Result<(), ApiError> {
        self.admits_authorization(request.headers().get(header::AUTHORIZATION))
    }

    /// Checks an `Authorization` header value against the token (in constant time): for any
    /// server that exposes metrics, e.g. the worker's admin port.
    pub fn admits_authorization(&self, authorization: Option<&http::HeaderValue>) -> Result<(), ApiError> {
        let unauthorized = |code, detail| {
            ApiError::new(StatusCode::UNAUTHORIZED, code, detail)
                .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")
        };
        let presented = Bearer::of(authorization);
        if presented == Bearer::Absent {
            return Err(unauthorized(
                "missing_token",
                "send Authorization: Bearer <metrics token>",
            ));
        }
        match presented.credential() {
            Some(token) if bool::from(token.as_bytes().ct_eq(self.0.as_bytes())) => Ok(()),
            _ => Err(unauthorized("invalid_token", "the metrics token is not valid")),
        }
    }
}

/// Who may read `/metrics`.
#[derive(Debug, Clone)]
pub enum MetricsAccess {
    /// Scrapers holding the token.
    Token(MetricsToken),
    /// Anyone (`allow_public_metrics = true`, for development).
    Public,
    /// No one: no token is set and the endpoint was not opened on purpose.
    Closed,
}

impl MetricsAccess {
    /// Reads `metrics_token` and, without one, `allow_public_metrics`.
    pub fn load(source: &dyn ConfigSource) -> Result<Self, ConfigError> {
        Ok(match MetricsToken::load(source)? {
            Some(token) => Self::Token(token),
            None if load_allow_public_metrics(source)? => Self::Public,
            None => Self::Closed,
        })
    }

    fn admits(&self, request: &Request) -> Result<(), ApiError> {
        match self {
            Self::Token(token) => token.admits(request),
            Self::Public => Ok(()),
            Self::Closed => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "metrics_closed",
                "no metrics_token is set, so /metrics is closed; set metrics_token \
                 (or allow_public_metrics=true in development)",
            )),
        }
    }
}

/// The metrics endpoint over its stores.
pub struct MetricsApi<'a, K, J, M> {
    /// API keys (counted by state).
    pub keys: &'a K,
    /// Jobs (depth by state and priority).
    pub jobs: &'a J,
    /// Counters and heartbeats.
    pub metrics: &'a M,
    /// Who may read it.
    pub access: &'a MetricsAccess,
    /// Kinds whose job counters are shown from zero.
    pub kinds: &'a [JobKind],
}

impl<K: ApiKeyStore, J: JobStore, M: MetricsStore> MetricsApi<'_, K, J, M> {
    /// Answers one request.
    pub async fn handle(&self, request: &Request, now: Timestamp) -> Response {
        match self.serve(request, now).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    }

    async fn serve(&self, request: &Request, now: Timestamp) -> Result<Response, ApiError> {
        if request.uri().path() != "/metrics" {
            return Err(ApiError::not_found());
        }
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Err(
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "use GET")
                    .with_header(header::ALLOW, "GET, HEAD"),
            );
        }
        self.access.admits(request)?;
        let snapshot = collect_metrics(self.keys, self.jobs, self.metrics, now).await?;
        let text =
            exposition::render(&snapshot, self.kinds).map_err(|e| ApiError::internal("metrics", &e))?;
        let body = if request.method() == Method::HEAD {
            Vec::new()
        } else {
            text.into_bytes()
        };
        let mut response = http::Response::new(body);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static(exposition::CONTENT_TYPE),
        );
        headers.insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
        Ok(response)
    }
}

/// `/metrics` as the OpenAPI document describes it.
pub(crate) mod paths {
    #![allow(dead_code)]

    use crate::openapi::problems::{InternalError, MetricsClosed, MetricsUnauthorized, StoreUnavailable};

    /// Counters and gauges in the Prometheus text format, aggregated in the store.
    #[utoipa::path(get, path = "/metrics", tag = "metrics", operation_id = "metrics",
        security((), ("metrics_token" = [])),
        responses(
            (status = 200, description = "The exposition.", body = String,
                content_type = "text/plain; version=0.0.4; charset=utf-8"),
            (status = 401, response = MetricsUnauthorized),
            (status = 403, response = MetricsClosed),
            (status = 500, response = InternalError),
            (status = 503, response = StoreUnavailable),
        ))]
    pub(crate) fn metrics() {}
}

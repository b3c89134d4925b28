//! Errors as RFC 9457 `application/problem+json`, with a stable `code` clients can match on.
//!
//! Internal details (SQL, store messages, config values) are logged, never put in a response.

use hexaspin_core::DomainError;
use hexaspin_core::admin_auth::AuthError;
use hexaspin_core::metrics::Series;
use hexaspin_core::ports::StoreError;
use hexaspin_core::use_cases::AdminError;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::Response;
use crate::metrics::requests::Counted;
use hexaspin_config::settings::ConfigError;

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `store_unavailable`.
    pub code: &'static str,
    /// Human explanation safe to show a client.
    pub detail: String,
    /// Extra headers (`WWW-Authenticate`, `Allow`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
    /// Counter events this refusal stands for (a quota rejection), carried on the response for
    /// the request's metrics flush.
    pub counts: Vec<Series>,
}

/// An RFC 9457 problem document.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Problem)]
pub(crate) struct ProblemBody<'a> {
    /// A URI naming the problem type (one per `code`).
    #[schema(format = "uri")]
    r#type: String,
    /// The status's reason phrase.
    title: &'a str,
    /// The HTTP status.
    status: u16,
    /// What went wrong, for a human; never internals.
    detail: &'a str,
    /// A stable machine-readable code, e.g. `rate_limited`.
    code: &'a str,
}

impl ApiError {
    /// An error with `status`, `code` and `detail`.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            headers: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// Marks the response as counting one event of `series`.
    pub fn counting(mut self, series: Series) -> Self {
        self.counts.push(series);
        self
    }

    /// Adds a header to the response.
    pub fn with_header(mut self, name: header::HeaderName, value: &'static str) -> Self {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// 404 `not_found`.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// 500 `internal_error`, after logging what happened.
    pub fn internal(what: &str, error: &dyn std::fmt::Display) -> Self {
        crate::log::error(what, error);
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "an internal error occurred; it has been logged",
        )
    }

    /// 500 `server_misconfigured`, after logging which setting is wrong.
    pub fn misconfigured(error: &dyn std::fmt::Display) -> Self {
        crate::log::error("configuration", error);
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_misconfigured",
            "the server is misconfigured; the operator can find the reason in its logs",
        )
    }

    /// Renders the problem document.
    pub fn into_response(self) -> Response {
        let body = ProblemBody {
            r#type: format!("https://hexaspin.dev/problems/{}", self.code.replace('_', "-")),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
        };
        let mut response = http::Response::new(serde_json::to_vec(&body).unwrap_or_default());
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        if !self.counts.is_empty() {
            response.extensions_mut().insert(Counted(self.counts));
        }
        response
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            error.to_string(),
        )
    }
}

impl From<ConfigError> for ApiError {
    /// A setting is missing or wrong: 500 `server_misconfigured`, the setting named in the log.
    fn from(error: ConfigError) -> Self {
        Self::misconfigured(&error)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(_) => {
                crate::log::error("store", &error);
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the data store is unavailable; retry later",
                )
                .with_header(header::RETRY_AFTER, "5")
            }
            other => Self::internal("store", &other),
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(error: AdminError) -> Self {
        match error {
            AdminError::Invalid(e) => e.into(),
            AdminError::NotFound => Self::not_found(),
            AdminError::Conflict { code, detail } => Self::new(StatusCode::CONFLICT, code, detail),
            AdminError::Entropy(e) => Self::internal("entropy", &e),
            AdminError::Store(e) => e.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let (status, code) = match error {
            AuthError::Missing => (StatusCode::UNAUTHORIZED, "missing_token"),
            AuthError::Invalid => (StatusCode::UNAUTHORIZED, "invalid_token"),
            AuthError::Expired => (StatusCode::UNAUTHORIZED, "token_expired"),
            AuthError::LifetimeTooLong => (StatusCode::UNAUTHORIZED, "token_lifetime_too_long"),
            AuthError::NotAdmin => (StatusCode::FORBIDDEN, "forbidden"),
        };
        let problem = Self::new(status, code, error.to_string());
        match error {
            AuthError::Missing => problem.with_header(header::WWW_AUTHENTICATE, "Bearer"),
            AuthError::Invalid | AuthError::Expired | AuthError::LifetimeTooLong => {
                problem.with_header(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
            }
            AuthError::NotAdmin => {
                problem.with_header(header::WWW_AUTHENTICATE, "Bearer error=\"insufficient_scope\"")
            }
        }
    }
}

//! Drives the admin API in-process, exactly as the `admin-keys` component does, on a real store.

use hexaspin_api::admin_keys::AdminApi;
use hexaspin_config::os::OsEntropy;
use hexaspin_config::settings::{AdminSettings, ConfigError, ConfigSource};
use hexaspin_core::Timestamp;
use hexaspin_core::admin_auth::{TokenRequest, issue_admin_token};
use http::HeaderMap;

use crate::fixtures::TestStore;
use crate::samples::{JWT_SECRET, PEPPER};

/// Settings as a deployment would set them through Spin variables.
pub struct TestConfig;

impl ConfigSource for TestConfig {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        Ok(match name {
            "jwt_secret" => Some(JWT_SECRET.to_owned()),
            "key_pepper" => Some(String::from_utf8_lossy(PEPPER).into_owned()),
            _ => None,
        })
    }
}

/// An in-process request as Spin would hand it over: JSON content type when there is a body
/// (unless `headers` set one), then `headers`.
pub fn build_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> hexaspin_api::Request {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("http://localhost{path}"));
    let has = |wanted: &str| headers.iter().any(|(name, _)| name.eq_ignore_ascii_case(wanted));
    if body.is_some() && !has("content-type") {
        builder = builder.header("content-type", "application/json");
    }
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder
        .body(body.unwrap_or("").as_bytes().to_vec())
        .expect("a valid test request")
}

/// A response, with its body parsed as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub json: serde_json::Value,
    /// The counter events the response was marked with for `/metrics`.
    pub counted: Vec<hexaspin_core::metrics::Series>,
}

impl From<hexaspin_api::Response> for Reply {
    fn from(response: hexaspin_api::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let counted = response
            .extensions()
            .get::<hexaspin_api::metrics::requests::Counted>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let body = response.into_body();
        let json = if body.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|e| panic!("response is not JSON ({e}): {}", String::from_utf8_lossy(&body)))
        };
        Reply {
            status,
            headers,
            json,
            counted,
        }
    }
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem `code`, for error responses.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("<no code>")
    }
}

/// The admin API on a test store, at a controllable instant.
pub struct AdminHarness {
    /// The store behind it.
    pub fixture: TestStore,
    /// The settings it runs with.
    pub settings: AdminSettings,
}

/// A fresh admin token for `sub`, valid for an hour after `now`.
pub fn admin_token(sub: &str, now: Timestamp) -> String {
    let request = TokenRequest {
        sub,
        ttl_seconds: 3600,
        max_ttl_seconds: hexaspin_core::admin_auth::DEFAULT_MAX_TTL_SECONDS,
        kid: None,
        issuer: None,
        audience: None,
    };
    issue_admin_token(JWT_SECRET.as_bytes(), &request, now).expect("token")
}

impl AdminHarness {
    /// A harness over `fixture`.
    pub fn new(fixture: TestStore) -> Self {
        Self {
            fixture,
            settings: AdminSettings::load(&TestConfig).expect("test settings are valid"),
        }
    }

    /// Sends a request with an admin token for `alice` at `now`.
    pub async fn admin(&self, method: &str, path: &str, body: Option<&str>, now: Timestamp) -> Reply {
        let token = format!("Bearer {}", admin_token("alice", now));
        self.send(method, path, &[("authorization", token.as_str())], body, now)
            .await
    }

    /// Sends any request at `now`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        now: Timestamp,
    ) -> Reply {
        let request = build_request(method, path, headers, body);
        let api = AdminApi {
            store: &self.fixture.store,
            cache: &crate::no_key_cache::NoKeyCache,
            entropy: &OsEntropy,
            settings: &self.settings,
        };
        Reply::from(api.handle(&request, now).await)
    }

    /// Drops the database.
    pub async fn finish(self) {
        self.fixture.finish().await;
    }
}

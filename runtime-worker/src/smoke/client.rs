//! A small blocking HTTP client for the smoke test: every status is an answer (the steps judge
//! them), only transport failures are errors.

use std::time::Duration;

use anyhow::Context;

pub struct Reply {
    pub status: u16,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body as text.
    pub body: String,
}

impl Reply {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The problem+json `code`, or the status when the body has none.
    pub fn code(&self) -> String {
        match self.json()["code"].as_str() {
            Some(code) => code.to_owned(),
            None => format!("status {}", self.status),
        }
    }
}

/// The app under test.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client for `base_url` (no trailing slash needed) with a per-request timeout.
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build();
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            agent: config.into(),
        }
    }

    /// `GET path` with an optional bearer token.
    pub fn get(&self, path: &str, bearer: Option<&str>) -> anyhow::Result<Reply> {
        let mut request = self.agent.get(format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        read(request.call(), path)
    }

    /// `POST path` with a JSON body and a bearer token.
    pub fn post(&self, path: &str, bearer: &str, body: &serde_json::Value) -> anyhow::Result<Reply> {
        let request = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {bearer}"))
            .header("content-type", "application/json");
        read(request.send(body.to_string()), path)
    }
}

fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>, path: &str) -> anyhow::Result<Reply> {
    let mut response = result.with_context(|| format!("no answer from {path}"))?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer from {path}"))?;
    Ok(Reply {
        status,
        content_type,
        body,
    })
}

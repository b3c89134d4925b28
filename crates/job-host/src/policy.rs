//! Outbound HTTP for jobs: only to the hosts allowed for the job's kind.

use std::sync::{Arc, Mutex};

use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// The allow-list of one attempt, and the first host it was refused, for the error message.
#[derive(Debug, Default)]
pub struct OutboundPolicy {
    allowed: Vec<String>,
    /// Shared with the sandbox so a refusal can be reported after the attempt.
    pub refused: Arc<Mutex<Option<String>>>,
}

impl OutboundPolicy {
    /// Allows exactly `allowed` (`host` or `host:port`, case-insensitive).
    pub fn new(allowed: &[String]) -> Self {
        Self {
            allowed: allowed.iter().map(|h| h.to_ascii_lowercase()).collect(),
            refused: Arc::default(),
        }
    }

    fn permits(&self, uri: &http::Uri) -> bool {
        let Some(host) = uri.host() else { return false };
        let host = host.to_ascii_lowercase();
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("http") => Some(80),
            Some("https") => Some(443),
            _ => None,
        });
        self.allowed.iter().any(|entry| match entry.rsplit_once(':') {
            Some((allowed_host, allowed_port)) if allowed_port.bytes().all(|b| b.is_ascii_digit()) => {
                allowed_host == host && Some(allowed_port.parse::<u16>().unwrap_or(0)) == port
            }
            _ => *entry == host,
        })
    }
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        if !self.permits(request.uri()) {
            let host = request
                .uri()
                .authority()
                .map(ToString::to_string)
                .unwrap_or_default();
            if let Ok(mut refused) = self.refused.lock() {
                refused.get_or_insert(host);
            }
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        Box::new(async move {
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_by_name_and_optional_port() {
        let policy = OutboundPolicy::new(&["api.example.com".into(), "127.0.0.1:8080".into()]);
        let allowed = |uri: &str| policy.permits(&uri.parse().unwrap());
        assert!(allowed("https://api.example.com/hook"));
        assert!(allowed("http://API.example.com:9000/x"));
        assert!(allowed("http://127.0.0.1:8080/x"));
        assert!(!allowed("http://127.0.0.1:8081/x"));
        assert!(!allowed("https://api.example.com.evil.net/"));
        assert!(!allowed("https://example.com/"));
        assert!(!OutboundPolicy::new(&[]).permits(&"https://api.example.com/".parse().unwrap()));
    }
}

//! Outbound HTTP for jobs: only to the origins allowed for the job's kind ([`AllowList`]), and a
//! listed name only while it resolves outside the worker's own networks.
//!
//! Known limit: the name is resolved here and again when connecting, so a DNS answer that changes
//! in between (rebinding) is not caught; pinning the checked address would need our own connector.

use std::sync::{Arc, Mutex};

use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::allow_list::{AllowList, Refusal};

/// A refused call: the origin (`scheme://host:port`, never path, query or credentials) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedCall {
    /// Where the call went.
    pub origin: String,
    /// Why it was refused.
    pub reason: String,
}

/// The allow-list of one attempt, the first call it refused (for the error message), and how much
/// of an outgoing body the host buffers.
#[derive(Debug)]
pub struct OutboundPolicy {
    allowed: Arc<AllowList>,
    /// Shared with the sandbox so a refusal can be reported after the attempt.
    pub refused: Arc<Mutex<Option<RefusedCall>>>,
    body_chunk_bytes: usize,
}

impl OutboundPolicy {
    /// A policy over the kind's parsed allow-list, buffering at most `body_chunk_bytes` of a
    /// request body per write.
    pub fn new(allowed: Arc<AllowList>, body_chunk_bytes: usize) -> Self {
        Self {
            allowed,
            refused: Arc::default(),
            body_chunk_bytes,
        }
    }
}

/// `scheme://host:port` of `uri`, without user info, path or query.
fn origin_of(uri: &http::Uri) -> String {
    let scheme = uri.scheme_str().unwrap_or("?");
    let host = uri.host().unwrap_or("?");
    match uri.port_u16() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

/// Decides one call: the list, then (for a listed name) the addresses it resolves to.
async fn vet(allowed: &AllowList, uri: &http::Uri) -> Result<(), Refusal> {
    let origin = allowed.matching(uri)?;
    if !allowed.checks_addresses_of(origin) {
        return Ok(()); // no lookup needed
    }
    let addresses: Vec<std::net::IpAddr> = tokio::net::lookup_host((origin.host.as_str(), origin.port))
        .await
        .map(|found| found.map(|a| a.ip()).collect())
        .unwrap_or_default();
    allowed.check_addresses(origin, &addresses)
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
    // One chunk of a small size per body: an instance holding many unsent bodies holds little
    // host memory for each (wasmtime's defaults would let it hold 2 MiB per body).
    fn p2_outgoing_body_buffer_chunks(&mut self) -> usize {
        1
    }

    fn p2_outgoing_body_chunk_size(&mut self) -> usize {
        self.body_chunk_bytes
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        let allowed = self.allowed.clone();
        let refused = self.refused.clone();
        Box::new(async move {
            if let Err(refusal) = vet(&allowed, request.uri()).await {
                if let Ok(mut first) = refused.lock() {
                    first.get_or_insert(RefusedCall {
                        origin: origin_of(request.uri()),
                        reason: refusal.to_string(),
                    });
                }
                return Err(HttpError::HttpRequestDenied);
            }
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
    fn the_origin_in_messages_drops_credentials_path_and_query() {
        let uri: http::Uri = "https://user:pass@hooks.example.com:8443/x/y?token=secret"
            .parse()
            .unwrap();
        assert_eq!(origin_of(&uri), "https://hooks.example.com:8443");
    }
}

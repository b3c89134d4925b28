//! Spin's incoming request as hexaspin's [`Request`], its body left unread until the route's
//! limit is known ([`PendingBody::read`]).
//!
//! spin-sdk's own conversion to `http::Request<Vec<u8>>` reads the whole body first, whatever
//! its size, before a component can look at the route or the credentials.

use hexaspin_api::body::{BodyLimit, read_bounded};
use hexaspin_api::{ApiError, Request};
use spin_sdk::http::{IncomingRequest, Method};

/// The body of a request whose head was already taken.
pub struct PendingBody(IncomingRequest);

/// The request's method, URI and headers, and its body still unread.
pub fn split_request(incoming: IncomingRequest) -> (Request, PendingBody) {
    let method = hexaspin_api::spin_method!(incoming.method(), Method);
    let mut request = http::Request::new(Vec::new());
    *request.method_mut() = method;
    // Spin hands over a valid URI; were it not, "/" answers 404 rather than failing here.
    *request.uri_mut() = incoming.uri().parse().unwrap_or_default();
    let headers = request.headers_mut();
    for (name, value) in incoming.headers().entries() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_bytes(&value),
        ) {
            headers.append(name, value);
        }
    }
    (request, PendingBody(incoming))
}

impl PendingBody {
    /// Reads the body of `request` within `limit` (not at all for [`BodyLimit::Ignored`]).
    pub async fn read(self, request: &Request, limit: BodyLimit) -> Result<Vec<u8>, ApiError> {
        let declared = request.headers().get(http::header::CONTENT_LENGTH);
        read_bounded(declared, limit, self.0.into_body_stream()).await
    }
}

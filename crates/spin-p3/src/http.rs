//! `wasi:http@0.3.0`'s request as hexaspin's [`Request`], its body left unread until the route's
//! limit is known ([`PendingBody::read`]), and hexaspin's [`Response`] handed back whole.
//!
//! The head is built here rather than with spin-sdk's `http_from_wasi_request`, which refuses a
//! request whose `Content-Length` is not a number before the component sees it: hexaspin answers
//! that with its own problem (`invalid_content_length`), as the WASIp2 build does.

use futures::Stream;
use hexaspin_api::body::{BodyLimit, read_bounded};
use hexaspin_api::{ApiError, Request, Response};
use spin_sdk_p3::wasip3::http::types::{self, ErrorCode, Method};
use spin_sdk_p3::wasip3::wit_bindgen::{StreamReader, StreamResult};
use spin_sdk_p3::wasip3::{http_compat, wit_future};

/// How much of the body one read asks the host for.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// The body of a request whose head was already taken.
pub struct PendingBody(types::Request);

/// The request's method, URI and headers, and its body still unread.
pub fn split_request(incoming: types::Request) -> Result<(Request, PendingBody), ErrorCode> {
    let method = match incoming.get_method() {
        Method::Get => http::Method::GET,
        Method::Post => http::Method::POST,
        Method::Put => http::Method::PUT,
        Method::Delete => http::Method::DELETE,
        Method::Patch => http::Method::PATCH,
        Method::Head => http::Method::HEAD,
        Method::Options => http::Method::OPTIONS,
        Method::Connect => http::Method::CONNECT,
        Method::Trace => http::Method::TRACE,
        // A method name that is not a token cannot match a route: 405 from the router.
        Method::Other(other) => http::Method::from_bytes(other.as_bytes()).unwrap_or(http::Method::TRACE),
    };
    let mut request = http::Request::new(Vec::new());
    *request.method_mut() = method;
    // Spin hands over a valid path; were it not, "/" answers 404 rather than failing here.
    *request.uri_mut() = incoming
        .get_path_with_query()
        .and_then(|path| path.parse().ok())
        .unwrap_or_default();
    let headers = request.headers_mut();
    for (name, value) in incoming.get_headers().copy_all() {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_bytes(&value),
        ) {
            headers.append(name, value);
        }
    }
    Ok((request, PendingBody(incoming)))
}

impl PendingBody {
    /// Reads the body of `request` within `limit` (not at all for [`BodyLimit::Ignored`]).
    pub async fn read(self, request: &Request, limit: BodyLimit) -> Result<Vec<u8>, ApiError> {
        let declared = request.headers().get(http::header::CONTENT_LENGTH);
        if limit == BodyLimit::Ignored {
            return Ok(Vec::new());
        }
        // The future tells the host how reading ended; dropped unwritten, it says "fine".
        let (_reading_done, reading_done_reader) = wit_future::new(|| Ok(()));
        let (stream, _trailers) = types::Request::consume_body(self.0, reading_done_reader);
        read_bounded(declared, limit, chunks(stream)).await
    }
}

/// The body's bytes as they arrive, one chunk per read.
fn chunks(stream: StreamReader<u8>) -> impl Stream<Item = Result<Vec<u8>, StreamResult>> {
    futures::stream::unfold(Some(stream), |stream| async move {
        let mut stream = stream?;
        let (result, chunk) = stream.read(Vec::with_capacity(READ_CHUNK_BYTES)).await;
        match result {
            StreamResult::Complete(_) => Some((Ok(chunk), Some(stream))),
            StreamResult::Dropped => None,
            cancelled @ StreamResult::Cancelled => Some((Err(cancelled), None)),
        }
    })
}

/// The answer, whole: its body one frame and, where a body may be (not 1xx, 204 or 304), its
/// length said in `Content-Length`.
pub fn into_wasi_response(response: Response) -> Result<types::Response, ErrorCode> {
    let (mut parts, body) = response.into_parts();
    let status = parts.status;
    let may_have_body = !status.is_informational()
        && status != http::StatusCode::NO_CONTENT
        && status != http::StatusCode::NOT_MODIFIED;
    if may_have_body {
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(body.len()));
    }
    let body = http_body_util::Full::new(bytes::Bytes::from(body));
    http_compat::http_into_wasi_response(http::Response::from_parts(parts, body))
}

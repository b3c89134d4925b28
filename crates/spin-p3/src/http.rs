//! `wasi:http@0.3.0`'s request as hexaspin's [`Request`], its body left unread until the route's
//! limit is known ([`PendingBody::read`]), and hexaspin's [`Response`] handed back whole.
//!
//! The head is built here rather than with spin-sdk's `http_from_wasi_request`, which refuses a
//! request whose `Content-Length` is not a number before the component sees it: hexaspin answers
//! that with its own problem (`invalid_content_length`), as the WASIp2 build does.
//!
//! An instance serves up to 16 requests at once within one memory cap (`--max-instance-memory`,
//! 64 MiB in the README's setup), where the WASIp2 build gives each request a cap of its own.
//! Measured: sixteen 7 MiB batches at once ran an instance out of memory, and the trap failed every
//! request it was serving. So the bodies an instance holds at once are bounded
//! ([`BODY_BUDGET_BYTES`]): a body that would go over waits for room before it is read (up to
//! 5 s, on a timer, so the instance's other requests go on), and is refused unread after that:
//! 503 `busy` with `Retry-After`.
//!
//! A body that broke off (the host says so after its stream ends) is refused as in the WASIp2
//! build (400 `unreadable_body`), never taken for a whole one.
//!
//! A body the component did not read (a request refused from its head) is drained before the
//! answer is handed over, up to [`DRAIN_BYTES`] and [`DRAIN_NANOS`] ([`UnreadBody`]). Left unread,
//! answers to such requests on kept-alive connections were cut off now and then under load:
//! with 8 kept-alive clients posting 4-byte bodies to a route that answers 401 from the head and
//! two CPU burners, 6 answers in 4 800 arrived cut off (`IncompleteRead`; the WASIp2 build on the
//! same Spin: 0 in 3 200); with the drain, 0 in 11 200. The likely cause, not confirmed in
//! Spin's code: the connection is closed with the body's bytes unread, and the reset that
//! follows overtakes the answer. Later runs without the drain did not always show it.

use std::cell::Cell;
use std::rc::Rc;

use futures::Stream;
use hexaspin_api::body::{BodyLimit, read_bounded};
use hexaspin_api::{ApiError, Request, Response};
use spin_sdk_p3::wasip3::clocks::monotonic_clock;
use spin_sdk_p3::wasip3::http::types::{self, ErrorCode, Method};
use spin_sdk_p3::wasip3::wit_bindgen::{FutureReader, StreamReader, StreamResult};
use spin_sdk_p3::wasip3::{http_compat, wit_future};

/// How much of the body one read asks the host for.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// Bytes of request bodies one instance holds at once (see [`PendingBody::read`]). A batch near
/// its limit (8 MiB) takes several times its size while it is parsed and stored: with a budget
/// of 16 MiB, two at once still ran a 64 MiB instance out of memory now and then; with 8 MiB,
/// 80 such batches (16 at a time) did not.
pub const BODY_BUDGET_BYTES: usize = 8 << 20;

/// How long a body waits for room in the budget before its request is refused.
const BODY_WAIT_NANOS: u64 = 5_000_000_000;
/// Between two looks for room.
const BODY_POLL_NANOS: u64 = 2_000_000;

/// Most of an unread body drained before the answer (see [`UnreadBody`]); a body declared bigger
/// is not drained at all, and its connection closed, as before.
const DRAIN_BYTES: usize = 64 * 1024;
/// Longest a drain waits for the rest of an unread body: what is in flight arrives by then; a
/// client that holds its body back does not hold the answer longer.
const DRAIN_NANOS: u64 = 100_000_000;

thread_local! {
    /// Bytes of [`BODY_BUDGET_BYTES`] the requests this instance is serving hold now.
    static BODY_BYTES_HELD: Cell<usize> = const { Cell::new(0) };
}

/// What one request holds of [`BODY_BUDGET_BYTES`], given back when it is dropped (when the
/// request's answer is handed over).
#[derive(Default)]
pub struct BodyReservation(Rc<Cell<usize>>);

impl Drop for BodyReservation {
    fn drop(&mut self) {
        BODY_BYTES_HELD.with(|held| held.set(held.get().saturating_sub(self.0.get())));
    }
}

/// The body of a request whose head was already taken.
pub struct PendingBody {
    request: Rc<Cell<Option<types::Request>>>,
    reserved: Rc<Cell<usize>>,
}

/// The request's body if the component never reads it, drained by [`UnreadBody::drain`].
pub struct UnreadBody {
    request: Rc<Cell<Option<types::Request>>>,
    has_body: bool,
}

impl UnreadBody {
    /// Reads and drops what the component left of the request's body (if it has one), up to
    /// [`DRAIN_BYTES`] and for at most [`DRAIN_NANOS`], so the connection's next request starts
    /// after it. Call it once the answer is decided, before it is handed over.
    pub async fn drain(self) {
        let Some(request) = self.request.take().filter(|_| self.has_body) else {
            return;
        };
        let (_reading_done, reading_done_reader) = wit_future::new(|| Ok(()));
        let (mut stream, _trailers) = types::Request::consume_body(request, reading_done_reader);
        let drain = async move {
            let mut left = DRAIN_BYTES;
            while left > 0 {
                let (result, chunk) = stream.read(Vec::with_capacity(READ_CHUNK_BYTES.min(left))).await;
                match result {
                    StreamResult::Complete(_) => left = left.saturating_sub(chunk.len().max(1)),
                    StreamResult::Dropped | StreamResult::Cancelled => break,
                }
            }
        };
        let deadline = monotonic_clock::wait_for(DRAIN_NANOS);
        futures::future::select(Box::pin(drain), Box::pin(deadline)).await;
    }
}

/// The request's method, URI and headers, its body still unread, what the request will hold
/// of the instance's body budget (keep it until the answer is handed over), and the body to
/// drain if the component does not read it.
pub fn split_request(
    incoming: types::Request,
) -> Result<(Request, PendingBody, BodyReservation, UnreadBody), ErrorCode> {
    let method = hexaspin_api::spin_method!(incoming.get_method(), Method);
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
    let headers = request.headers();
    // Worth draining: a body that is on its way and small. One declared bigger, or held back
    // until the server says `100 Continue`, is left (asking for it would only invite it).
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .map(|length| length.to_str().ok().and_then(|l| l.trim().parse::<usize>().ok()));
    let has_body = !headers.contains_key(http::header::EXPECT)
        && match declared {
            Some(Some(length)) => length > 0 && length <= DRAIN_BYTES,
            Some(None) => false,
            None => headers.contains_key(http::header::TRANSFER_ENCODING),
        };
    let reservation = BodyReservation::default();
    let incoming = Rc::new(Cell::new(Some(incoming)));
    let body = PendingBody {
        request: Rc::clone(&incoming),
        reserved: Rc::clone(&reservation.0),
    };
    let unread = UnreadBody {
        request: incoming,
        has_body,
    };
    Ok((request, body, reservation, unread))
}

impl PendingBody {
    /// Reads the body of `request` within `limit` (not at all for [`BodyLimit::Ignored`]),
    /// after taking room for all of it in the instance's body budget: its declared length, or
    /// the route's whole limit for a body of unknown length. All or nothing, before a byte is
    /// read: taken chunk by chunk, sixteen bodies each part read filled the budget and waited
    /// for each other until all were refused.
    pub async fn read(self, request: &Request, limit: BodyLimit) -> Result<Vec<u8>, ApiError> {
        let declared = request.headers().get(http::header::CONTENT_LENGTH);
        let BodyLimit::UpTo(most) = limit else {
            return Ok(Vec::new());
        };
        let declared_length = declared.and_then(|v| v.to_str().ok()?.trim().parse::<usize>().ok());
        // A declared length over the limit is refused (413) by `read_bounded` without reading.
        if declared_length.is_none_or(|length| length <= most) {
            reserve(&self.reserved, declared_length.unwrap_or(most)).await?;
        }
        // The future tells the host how reading ended; dropped unwritten, it says "fine".
        let Some(incoming) = self.request.take() else {
            return Ok(Vec::new());
        };
        let (_reading_done, reading_done_reader) = wit_future::new(|| Ok(()));
        let (stream, trailers) = types::Request::consume_body(incoming, reading_done_reader);
        read_bounded(declared, limit, chunks(stream, trailers)).await
    }
}

/// The client's body broke off (disconnected, shorter than its `Content-Length`, bad chunked
/// encoding): the host says so in the trailers' result, after the stream ends.
struct BodyBroken;

/// The body's bytes as they arrive, one chunk per read.
fn chunks(
    stream: StreamReader<u8>,
    trailers: FutureReader<Result<Option<types::Trailers>, ErrorCode>>,
) -> impl Stream<Item = Result<Vec<u8>, BodyBroken>> {
    futures::stream::unfold(Some((stream, trailers)), |state| async move {
        let (mut stream, trailers) = state?;
        let (result, chunk) = stream.read(Vec::with_capacity(READ_CHUNK_BYTES)).await;
        match result {
            StreamResult::Complete(_) => Some((Ok(chunk), Some((stream, trailers)))),
            StreamResult::Dropped => match trailers.await {
                Ok(_) => None,
                Err(_) => Some((Err(BodyBroken), None)),
            },
            StreamResult::Cancelled => Some((Err(BodyBroken), None)),
        }
    })
}

/// Takes `bytes` of the instance's body budget for the request holding `reserved`, waiting (on
/// a timer, so the instance's other requests run meanwhile) up to [`BODY_WAIT_NANOS`] for room;
/// then refuses it (503 `busy`, `Retry-After`).
async fn reserve(reserved: &Rc<Cell<usize>>, bytes: usize) -> Result<(), ApiError> {
    let deadline = monotonic_clock::now() + BODY_WAIT_NANOS;
    loop {
        let taken = BODY_BYTES_HELD.with(|held| {
            let now = held.get();
            // One body alone may always be read: its route's limit is what it is.
            let room = now == 0 || now + bytes <= BODY_BUDGET_BYTES;
            if room {
                held.set(now + bytes);
                reserved.set(reserved.get() + bytes);
            }
            room
        });
        if taken {
            return Ok(());
        }
        if monotonic_clock::now() >= deadline {
            return Err(ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "this instance holds as many request bodies as it may at once; retry shortly",
            )
            .with_header(http::header::RETRY_AFTER, "1"));
        }
        monotonic_clock::wait_for(BODY_POLL_NANOS).await;
    }
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

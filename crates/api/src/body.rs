//! Request bodies and query strings: how much of a body is read at all, size limit, content type,
//! JSON and error mapping.
//!
//! A component learns its route's [`BodyLimit`] from the request head, then reads the body with
//! [`read_bounded`]: a declared `Content-Length` over the limit is refused before a byte is read,
//! a chunked body is cut off at the limit, and a route that takes no body never reads one. So a
//! client cannot make an instance buffer more than the route allows.

use futures_util::{Stream, StreamExt};
use http::{HeaderValue, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::{ApiError, Request};

/// Largest accepted request body for admin calls.
pub const MAX_ADMIN_BODY_BYTES: usize = 64 * 1024;

/// How much body a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// None: the body is not read.
    Ignored,
    /// At most this many bytes.
    UpTo(usize),
}

impl BodyLimit {
    /// `UpTo(limit)` for methods that carry a body (POST, PUT, PATCH), `Ignored` for the rest.
    pub fn for_method(method: &http::Method, limit: usize) -> Self {
        match *method {
            http::Method::POST | http::Method::PUT | http::Method::PATCH => Self::UpTo(limit),
            _ => Self::Ignored,
        }
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body exceeds {limit} bytes"),
    )
}

/// Reads the body from `chunks` within `limit`; `declared` is the request's `Content-Length`.
/// The stream is not polled at all when the route takes no body or the declared length is over
/// the limit, and no more than one chunk past the limit is ever held.
pub async fn read_bounded<S, E>(
    declared: Option<&HeaderValue>,
    limit: BodyLimit,
    chunks: S,
) -> Result<Vec<u8>, ApiError>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
{
    let BodyLimit::UpTo(limit) = limit else {
        return Ok(Vec::new());
    };
    if let Some(declared) = declared {
        let length = declared
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_content_length",
                    "Content-Length is not a number",
                )
            })?;
        if length > limit as u64 {
            return Err(too_large(limit));
        }
    }
    let mut chunks = std::pin::pin!(chunks);
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                "the request body could not be read to its end",
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Parses the JSON body; an empty body parses as `{}` when `empty_is_object`.
pub fn json_body<T: DeserializeOwned>(
    request: &Request,
    limit: usize,
    empty_is_object: bool,
) -> Result<T, ApiError> {
    let body = request.body();
    if body.len() > limit {
        return Err(too_large(limit));
    }
    if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
        let is_json = content_type.to_str().is_ok_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
        if !is_json && !body.is_empty() {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the request body must be application/json",
            ));
        }
    }
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) && empty_is_object {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text).map_err(|error| {
        use serde_json::error::Category;
        match error.classify() {
            Category::Data => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                error.to_string(),
            ),
            Category::Syntax | Category::Eof | Category::Io => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON: {error}"),
            ),
        }
    })
}

/// Parses the query string into `T` (which should deny unknown fields).
pub fn query<T: DeserializeOwned>(request: &Request) -> Result<T, ApiError> {
    let raw = request.uri().query().unwrap_or("");
    serde_urlencoded::from_str(raw)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", error.to_string()))
}

/// An optional query parameter parsed with `parse`: absent is `None`, a bad value is 400
/// `invalid_query` naming the parameter.
pub fn query_param<T>(
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, hexaspin_core::DomainError>,
) -> Result<Option<T>, ApiError> {
    value
        .map(parse)
        .transpose()
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", error.to_string()))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use futures_util::stream;

    use super::*;

    fn chunks(sizes: &[usize], polled: &Cell<usize>) -> impl Stream<Item = Result<Vec<u8>, ()>> {
        let owned: Vec<usize> = sizes.to_vec();
        stream::iter(owned).map(move |size| {
            polled.set(polled.get() + 1);
            Ok(vec![b'x'; size])
        })
    }

    fn run<F: Future>(future: F) -> F::Output {
        futures_util::FutureExt::now_or_never(future).expect("the stream is ready")
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_reading() {
        let polled = Cell::new(0);
        let declared = HeaderValue::from_static("10485760");
        let result = run(read_bounded(
            Some(&declared),
            BodyLimit::UpTo(1024),
            chunks(&[10], &polled),
        ));
        assert_eq!(result.unwrap_err().code, "payload_too_large");
        assert_eq!(polled.get(), 0, "not a byte read");
    }

    #[test]
    fn a_chunked_body_is_cut_off_at_the_limit() {
        let polled = Cell::new(0);
        let endless =
            stream::repeat_with(|| Ok::<_, ()>(vec![b'x'; 1000])).inspect(|_| polled.set(polled.get() + 1));
        let result = run(read_bounded(None, BodyLimit::UpTo(4096), endless));
        assert_eq!(result.unwrap_err().code, "payload_too_large");
        assert_eq!(
            polled.get(),
            5,
            "reading stops at the chunk that crosses the limit"
        );
    }

    #[test]
    fn a_body_within_the_limit_is_read_whole_and_exactly_the_limit_fits() {
        let polled = Cell::new(0);
        let body = run(read_bounded(
            None,
            BodyLimit::UpTo(30),
            chunks(&[10, 10, 10], &polled),
        ))
        .unwrap();
        assert_eq!(body.len(), 30);
        let lying = HeaderValue::from_static("5");
        // A Content-Length below the real size does not let more through.
        let result = run(read_bounded(
            Some(&lying),
            BodyLimit::UpTo(20),
            chunks(&[15, 15], &polled),
        ));
        assert_eq!(result.unwrap_err().code, "payload_too_large");
    }

    #[test]
    fn a_route_without_a_body_never_reads_one() {
        let polled = Cell::new(0);
        let body = run(read_bounded(
            None,
            BodyLimit::Ignored,
            chunks(&[1_000_000], &polled),
        ))
        .unwrap();
        assert!(body.is_empty());
        assert_eq!(polled.get(), 0);
    }

    #[test]
    fn a_malformed_length_or_a_broken_stream_is_a_client_error() {
        let polled = Cell::new(0);
        let bad = HeaderValue::from_static("lots");
        let result = run(read_bounded(
            Some(&bad),
            BodyLimit::UpTo(10),
            chunks(&[1], &polled),
        ));
        assert_eq!(result.unwrap_err().code, "invalid_content_length");
        let broken = stream::iter([Ok(vec![1u8]), Err("reset")]);
        let result = run(read_bounded(None, BodyLimit::UpTo(10), broken));
        assert_eq!(result.unwrap_err().code, "unreadable_body");
    }

    #[test]
    fn only_methods_that_carry_a_body_read_one() {
        assert_eq!(BodyLimit::for_method(&http::Method::PATCH, 5), BodyLimit::UpTo(5));
        for method in [http::Method::GET, http::Method::DELETE, http::Method::HEAD] {
            assert_eq!(BodyLimit::for_method(&method, 5), BodyLimit::Ignored);
        }
    }
}

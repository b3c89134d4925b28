//! Request bodies and query strings: size limit, content type, JSON and error mapping.

use http::{StatusCode, header};
use serde::de::DeserializeOwned;

use crate::{ApiError, Request};

/// Largest accepted request body for admin calls.
pub const MAX_ADMIN_BODY_BYTES: usize = 64 * 1024;

/// Parses the JSON body; an empty body parses as `{}` when `empty_is_object`.
pub fn json_body<T: DeserializeOwned>(
    request: &Request,
    limit: usize,
    empty_is_object: bool,
) -> Result<T, ApiError> {
    let body = request.body();
    if body.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body exceeds {limit} bytes"),
        ));
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

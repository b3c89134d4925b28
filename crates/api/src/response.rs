//! Successful responses: JSON bodies with the headers every route sends them with.

use http::{StatusCode, header};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{ApiError, Response};

/// A page of a list, with the cursor of the next page (`null` on the last).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// This page's items, in the list's order.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page.
    pub next_cursor: Option<String>,
}

/// 204 No Content, not to be cached.
pub fn no_content() -> Response {
    let mut response = http::Response::new(Vec::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    response
}

/// A static file's bytes with its type and caching, not to be type-sniffed (the docs page and
/// the admin page serve theirs with it).
pub fn static_file(body: Vec<u8>, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = http::Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, http::HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    );
    response
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = http::Response::new(body);
            *response.status_mut() = status;
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => ApiError::internal("serialize response", &error).into_response(),
    }
}

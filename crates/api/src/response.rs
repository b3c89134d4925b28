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

//! Response headers of successful responses, described once.

use utoipa::openapi::ResponseBuilder;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};

fn integer(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
        .description(Some(description))
        .build()
}

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (sent when a limit applies).
pub(crate) fn rate_limit(response: ResponseBuilder) -> ResponseBuilder {
    response
        .header(
            "RateLimit-Limit",
            integer("Requests the key may make in a burst."),
        )
        .header(
            "RateLimit-Remaining",
            integer("Requests left in the current burst."),
        )
        .header(
            "RateLimit-Reset",
            integer("Seconds until the burst is whole again."),
        )
}

/// `x-request-id`: the request's own if it sent a sane one, else a new one; in the logs too.
pub(crate) fn request_id() -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(128)),
        )
        .description(Some(
            "The request's id: the one it sent if sane, else a new one. It names the request's log line.",
        ))
        .build()
}

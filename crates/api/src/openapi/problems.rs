//! The problem responses routes refer to: each a status with the `code` values it can carry
//! (an `enum` on `code`, so a client can switch on it) and the headers it comes with.
//!
//! A response here is named for what it means to a client; the routes' descriptions in each API
//! module pick the ones they can answer with. The codes are the ones the handlers write: a
//! route answering a code its description does not list fails the schemathesis run.

use utoipa::ToResponse;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// A response header a problem can carry.
#[derive(Clone, Copy)]
pub(crate) enum ProblemHeader {
    /// `WWW-Authenticate`.
    WwwAuthenticate,
    /// `Retry-After`.
    RetryAfter,
    /// `Retry-After` and the `RateLimit-*` headers of a quota refusal.
    RetryAfterAndRateLimit,
}

fn problem_response(description: &str, codes: &[&str], headers: &[ProblemHeader]) -> Response {
    let code = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes.to_vec()));
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("Problem"))
        .item(ObjectBuilder::new().property("code", code).required("code"));
    let listed: Vec<String> = codes.iter().map(|c| format!("`{c}`")).collect();
    let mut response = ResponseBuilder::new()
        .description(format!("{description} Codes: {}.", listed.join(", ")))
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(schema)).build(),
        );
    for header in headers {
        response = match header {
            ProblemHeader::WwwAuthenticate => response.header(
                "WWW-Authenticate",
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some(
                        "The authentication scheme (`Bearer`) and, if any, the error.",
                    ))
                    .build(),
            ),
            ProblemHeader::RetryAfter => response.header("Retry-After", retry_after()),
            ProblemHeader::RetryAfterAndRateLimit => {
                crate::openapi::headers::rate_limit(response.header("Retry-After", retry_after()))
            }
        };
    }
    response.build()
}

fn retry_after() -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)))
        .description(Some("Seconds to wait before trying again."))
        .build()
}

/// Declares problem responses: `Name: "what it means", [codes], [headers];`.
macro_rules! problem_responses {
    ($($name:ident: $description:literal, [$($code:literal),+], [$($header:ident),*];)+) => {$(
        #[doc = $description]
        pub(crate) struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                let headers: &[ProblemHeader] = &[$(ProblemHeader::$header),*];
                (stringify!($name), problem_response($description, &[$($code),+], headers).into())
            }
        }
    )+};
}

problem_responses! {
    BadBody: "The body is not valid JSON, or could not be read to its end.",
        ["invalid_json", "invalid_content_length", "unreadable_body"], [];
    BadQuery: "A query parameter is unknown or has a bad value.", ["invalid_query"], [];
    AdminUnauthorized: "No admin JWT, or one that is not valid (signature, expiry, issuer, audience, lifetime).",
        ["missing_token", "invalid_token", "token_expired", "token_lifetime_too_long"], [WwwAuthenticate];
    AdminForbidden: "The token is valid but not an admin's.", ["forbidden"], [WwwAuthenticate];
    KeyUnauthorized: "No API key, or one that does not verify.",
        ["missing_api_key", "invalid_api_key", "api_key_revoked", "api_key_expired", "api_key_disabled"],
        [WwwAuthenticate];
    KeyForbidden: "The API key lacks the scope this route needs.", ["missing_scope"], [];
    KeyTooManyRequests: "Too many requests with bad keys from this address, or the key has no uses left.",
        ["too_many_failed_attempts", "quota_exhausted"], [RetryAfter];
    DispatchTooManyRequests: "Over the key's rate, daily quota, uses, scheduled jobs or stored bytes, or too many bad keys from this address (the storage caps carry no Retry-After).",
        ["rate_limited", "quota_exhausted", "scheduled_limit_reached", "storage_limit_reached", "too_many_failed_attempts"], [RetryAfterAndRateLimit];
    NotFound: "No such resource (a malformed id is not found either).", ["not_found"], [];
    KeyConflict: "The key is revoked, or it changed since it was read.", ["key_revoked", "concurrent_update"], [];
    JobNotDead: "Only a dead job can be retried.", ["job_not_dead"], [];
    JobRunning: "A running job cannot be deleted; cancel it first.", ["job_running"], [];
    PayloadTooLarge: "The body is larger than this route accepts.", ["payload_too_large"], [];
    UnsupportedMediaType: "The body is not `application/json`.", ["unsupported_media_type"], [];
    InvalidField: "A field has a value the service does not accept; `detail` names it.", ["invalid_field"], [];
    DispatchInvalid: "A field has a value the service does not accept, or the kind is not one it runs.",
        ["invalid_field", "unknown_kind"], [];
    BatchInvalid: "The batch holds no job or more than 500, or the body (or an `Idempotency-Key` header, which a batch does not take) has a value the service does not accept.",
        ["invalid_batch", "invalid_field"], [];
    InternalError: "The server failed or is misconfigured; the reason is in its logs, never here.",
        ["internal_error", "server_misconfigured"], [];
    StoreUnavailable: "The data store did not answer (`store_unavailable`), or, in the WASIp3 build, the instance holds as many request bodies at once as it may (`busy`); retry later.",
        ["store_unavailable", "busy"], [RetryAfter];
    DependencyUnavailable: "A store the service needs is not answering; `detail` names it.",
        ["dependency_unavailable"], [RetryAfter];
    MetricsClosed: "No `metrics_token` is set and `allow_public_metrics` is not `true`: the endpoint is closed.",
        ["metrics_closed"], [];
    MetricsUnauthorized: "`metrics_token` is set and the request did not present it.",
        ["missing_token", "invalid_token"], [WwwAuthenticate];
    UserUnauthorized: "No user access token, or one that is not valid, has expired, whose account is gone, or whose sessions the account ended since (a password change).",
        ["missing_token", "invalid_token", "token_expired", "session_ended"], [WwwAuthenticate];
    SignInUnauthorized: "The email or password is wrong (the same answer for an unknown address).",
        ["invalid_credentials"], [];
    RefreshUnauthorized: "The refresh token is unknown, expired or revoked, or was used before (which signs its whole family out).",
        ["invalid_refresh_token", "refresh_token_reused"], [WwwAuthenticate];
    AccountDisabled: "An admin disabled the account.", ["account_disabled"], [];
    PasswordForbidden: "The current password is wrong, or the account is disabled.",
        ["wrong_password", "account_disabled"], [];
    TooManyAttempts: "Too many password attempts on this account or from this client, or too many sign-ups from this client; the attempt was not checked.",
        ["too_many_attempts"], [RetryAfter];
    UserConflict: "The account changed concurrently; retry.", ["concurrent_update"], [];
}

/// Declares groups of problem responses routes share: `Group: [status => Response, …];`, each
/// a reference to the response declared above.
macro_rules! problem_groups {
    ($($(#[doc = $doc:literal])* $group:ident: [$($status:literal => $response:ident),+];)+) => {$(
        $(#[doc = $doc])*
        pub(crate) struct $group;

        impl utoipa::IntoResponses for $group {
            fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
                [$(($status.to_owned(), RefOr::Ref(Ref::from_response_name(stringify!($response))))),+]
                    .into_iter()
                    .collect()
            }
        }
    )+};
}

problem_groups! {
    /// An admin route's token checks.
    AdminAccess: ["401" => AdminUnauthorized, "403" => AdminForbidden];
    /// A client route's key checks (the 429 differs by route).
    KeyAccess: ["401" => KeyUnauthorized, "403" => KeyForbidden];
    /// Any route that opens a store.
    StoreFailures: ["500" => InternalError, "503" => StoreUnavailable];
    /// Any route that reads a JSON body (the 422 differs by route).
    JsonBodyFailures: ["400" => BadBody, "413" => PayloadTooLarge, "415" => UnsupportedMediaType];
}

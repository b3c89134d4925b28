//! Spin's request method as an [`http::Method`], written once for both Spin adapters: spin-sdk
//! 5.2's `Method` and WASI 0.3's `Method` have the same variants but are different types.

/// The [`http::Method`] of `$method`, a value of the Spin SDK's method enum `$($enum)::+`:
/// `spin_method!(incoming.method(), Method)`. A method name that is not a token cannot match a
/// route: it becomes TRACE, which no route takes (405 from the router).
#[macro_export]
macro_rules! spin_method {
    ($method:expr, $($enum:ident)::+) => {
        match $method {
            $($enum)::+::Get => ::http::Method::GET,
            $($enum)::+::Post => ::http::Method::POST,
            $($enum)::+::Put => ::http::Method::PUT,
            $($enum)::+::Delete => ::http::Method::DELETE,
            $($enum)::+::Patch => ::http::Method::PATCH,
            $($enum)::+::Head => ::http::Method::HEAD,
            $($enum)::+::Options => ::http::Method::OPTIONS,
            $($enum)::+::Connect => ::http::Method::CONNECT,
            $($enum)::+::Trace => ::http::Method::TRACE,
            $($enum)::+::Other(other) => {
                ::http::Method::from_bytes(other.as_bytes()).unwrap_or(::http::Method::TRACE)
            }
        }
    };
}

//! The smallest useful Spin HTTP component, built with the same spin-sdk, profile and target as
//! hexaspin's own: what any request costs on this Spin before an app does anything. The HTTP
//! benchmark (`cargo run --release -p hexaspin-bench -- spin-http`) reports hexaspin's routes as
//! a ratio of its requests per second.

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use spin_sdk::http_component;

#[http_component]
fn hello(_request: http::Request<Vec<u8>>) -> http::Response<&'static str> {
    http::Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body("hello, world\n")
        .expect("a static response is valid")
}

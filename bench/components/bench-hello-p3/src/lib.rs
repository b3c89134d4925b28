//! The WASIp3 twin of `bench-hello`: the smallest useful Spin HTTP component on spin-sdk 7
//! (`wasi:http@0.3.0`), whose instances Spin 4.1 reuses across requests. The HTTP benchmark
//! reports it beside the WASIp2 hello world, the baseline every ratio is of.

// `#[http_service]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

#[http_service]
async fn hello(_request: Request) -> impl IntoResponse {
    spin_sdk::http::Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body("hello, world\n".to_owned())
        .expect("a static response is valid")
}

//! Spin component `admin-ui`: the admin page at `/admin-ui` ([`hexaspin_api::admin_ui::AdminUiApi`]).
//!
//! A thin shell over the files spin.toml mounts at `/admin-ui` (built by `cargo xtask build-ui`).
//! No variable is read and no store opened: the page's data comes from the admin API, called by
//! the browser with the admin's own token.

// `http_entry!` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

// One source, two builds: WASIp2 (spin-sdk 5.2, the default) or WASIp3 (spin-sdk 7).
#[cfg(all(feature = "wasip2", feature = "wasip3"))]
compile_error!("choose one build: the `wasip2` (default) or the `wasip3` feature");
#[cfg(not(feature = "wasip3"))]
use hexaspin_spin as spin_adapter;
#[cfg(feature = "wasip3")]
use hexaspin_spin_p3 as spin_adapter;

use hexaspin_api::admin_ui::AdminUiApi;
use hexaspin_api::docs::AssetsDir;
use hexaspin_api::{Request, Response};
use spin_adapter::http::PendingBody;

const COMPONENT: &str = "admin-ui";
/// Where spin.toml mounts the built page.
const ASSETS_DIR: &str = "/admin-ui";

spin_adapter::http_entry!(handle);

async fn handle(request: Request, _unread: PendingBody) -> Response {
    // No route here takes a body: it is never read.
    hexaspin_api::log::with_access_log(COMPONENT, request, serve).await
}

async fn serve(request: Request) -> Response {
    AdminUiApi {
        assets: &AssetsDir(ASSETS_DIR.into()),
    }
    .handle(&request)
}

//! Spin component `admin-ui`: the admin page at `/admin-ui` ([`hexaspin_api::admin_ui::AdminUiApi`]).
//!
//! A thin shell over the files spin.toml mounts at `/admin-ui` (built by `cargo xtask build-ui`).
//! No variable is read and no store opened: the page's data comes from the admin API, called by
//! the browser with the admin's own token.

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_api::admin_ui::AdminUiApi;
use hexaspin_api::docs::AssetsDir;
use hexaspin_api::{Request, Response};
use hexaspin_spin::http::split_request;
use spin_sdk::http::IncomingRequest;
use spin_sdk::http_component;

const COMPONENT: &str = "admin-ui";
/// Where spin.toml mounts the built page.
const ASSETS_DIR: &str = "/admin-ui";

#[http_component]
async fn handle(incoming: IncomingRequest) -> Response {
    // No route here takes a body: it is never read.
    let (request, _unread) = split_request(incoming);
    hexaspin_api::log::with_access_log(COMPONENT, request, serve).await
}

async fn serve(request: Request) -> Response {
    AdminUiApi {
        assets: &AssetsDir(ASSETS_DIR.into()),
    }
    .handle(&request)
}

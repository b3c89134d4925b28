//! Spin component `docs`: `GET /openapi.json` and the `/docs` page
//! ([`hexaspin_api::docs::DocsApi`]).
//!
//! A thin shell: `allow_public_docs` and, when the docs are not public, the admin JWT settings
//! from Spin variables; the Swagger UI files from the component's files mount (`/swagger-ui`,
//! filled by `cargo xtask build-docs`). No store is opened: serving the docs costs no database
//! connection, so docs requests are not counted in `/metrics`.

// `http_entry!` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

// One source, two builds: WASIp2 (spin-sdk 5.2, the default) or WASIp3 (spin-sdk 7).
#[cfg(all(feature = "wasip2", feature = "wasip3"))]
compile_error!("choose one build: the `wasip2` (default) or the `wasip3` feature");
#[cfg(not(feature = "wasip3"))]
use hexaspin_spin as spin_adapter;
#[cfg(feature = "wasip3")]
use hexaspin_spin_p3 as spin_adapter;

use hexaspin_api::docs::{AssetsDir, DocsApi};
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::os::system_now;
use hexaspin_config::settings::{load_admin_auth, load_allow_public_docs};
use spin_adapter::SpinVariables;
use spin_adapter::http::PendingBody;

const COMPONENT: &str = "docs";
/// Where spin.toml mounts the Swagger UI files.
const ASSETS_DIR: &str = "/swagger-ui";

spin_adapter::http_entry!(handle);

async fn handle(request: Request, _unread: PendingBody) -> Response {
    // No route here takes a body: it is never read.
    hexaspin_api::log::with_access_log(COMPONENT, request, serve_logged).await
}

async fn serve_logged(request: Request) -> Response {
    serve(&request).unwrap_or_else(ApiError::into_response)
}

fn serve(request: &Request) -> Result<Response, ApiError> {
    let public = load_allow_public_docs(&SpinVariables)?;
    let admin_auth = || load_admin_auth(&SpinVariables).map_err(ApiError::from);
    let api = DocsApi {
        public,
        admin_auth: &admin_auth,
        assets: &AssetsDir(ASSETS_DIR.into()),
    };
    Ok(api.handle(request, system_now()))
}

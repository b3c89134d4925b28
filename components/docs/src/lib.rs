//! Spin component `docs`: `GET /openapi.json` and the `/docs` page
//! ([`hexaspin_api::docs::DocsApi`]).
//!
//! A thin shell: `allow_public_docs` and, when the docs are not public, the admin JWT settings
//! from Spin variables; the Swagger UI files from the component's files mount (`/swagger-ui`,
//! filled by `cargo xtask build-docs`). No store is opened: serving the docs costs no database
//! connection, so docs requests are not counted in `/metrics`.

// `#[http_component]` expands to wit-bindgen's export glue, which is `unsafe` by nature.
#![allow(unsafe_code)]

use hexaspin_api::docs::{AssetsDir, DocsApi};
use hexaspin_api::{ApiError, Request, Response};
use hexaspin_config::settings::{load_admin_auth, load_allow_public_docs};
use hexaspin_config::system::system_now;
use hexaspin_spin::SpinVariables;
use hexaspin_spin::http::split_request;
use spin_sdk::http::IncomingRequest;
use spin_sdk::http_component;

const COMPONENT: &str = "docs";
/// Where spin.toml mounts the Swagger UI files.
const ASSETS_DIR: &str = "/swagger-ui";

#[http_component]
async fn handle(incoming: IncomingRequest) -> Response {
    // No route here takes a body: it is never read.
    let (request, _unread) = split_request(incoming);
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

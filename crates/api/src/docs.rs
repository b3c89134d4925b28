//! The API's description for client authors (component `docs`): `GET /openapi.json`, the
//! [OpenAPI document](crate::openapi), and `GET /docs`, a Swagger UI page rendering it, with its
//! assets under `/docs/`.
//!
//! Public when the setting `allow_public_docs` is true (the embedded dev default); otherwise
//! each of these routes wants an admin JWT like the admin API. The Swagger UI files come from
//! npm (`docs-ui/`, built by `cargo xtask build-docs`) and reach the component as a Spin files
//! mount, read from an [`AssetsDir`]; without them `/docs` says how to build them.

use std::path::PathBuf;

use hexaspin_core::Timestamp;
use hexaspin_core::admin_auth::AdminAuthConfig;
use http::{HeaderValue, Method, StatusCode, header};

use crate::admin_keys::authenticate_with;
use crate::response::static_file as file;
use crate::{ApiError, Request, Response};

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/openapi.json";
/// Where the docs page is served; its assets are below it.
pub const PAGE_PATH: &str = "/docs";

/// The files the page loads, as npm's `swagger-ui-dist` names them, with their content types.
const BUNDLED_ASSETS: [(&str, &str); 2] = [
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui.css", "text/css; charset=utf-8"),
];

/// Starts Swagger UI on the document: a file of its own, so the page needs no inline script.
const INIT_SCRIPT: &str = r##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    persistAuthorization: false,
  });
});
"##;

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hexaspin API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"#;

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>hexaspin API docs: not built</title></head>
<body>
<h1>The docs page is not built</h1>
<p>Its Swagger UI files come from npm. Run <code>cargo xtask build-docs</code> (needs Node 20 or newer)
and restart the app. The API's description is served anyway at <a href="/openapi.json">/openapi.json</a>.</p>
</body>
</html>
"#;

/// Swagger UI sets inline styles; scripts and everything else come from this origin only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Where the page's bundled files are.
pub trait DocsAssets {
    /// The file's bytes, `None` when it is not there.
    fn read(&self, name: &str) -> Option<Vec<u8>>;
    /// Whether the file is there and not empty (without reading it).
    fn is_present(&self, name: &str) -> bool;
}

/// The files in a folder: the component's files mount, or `target/docs-ui` natively.
pub struct AssetsDir(pub PathBuf);

impl DocsAssets for AssetsDir {
    fn read(&self, name: &str) -> Option<Vec<u8>> {
        std::fs::read(self.0.join(name)).ok()
    }

    fn is_present(&self, name: &str) -> bool {
        std::fs::metadata(self.0.join(name)).is_ok_and(|m| m.is_file() && m.len() > 0)
    }
}

/// The docs routes.
pub struct DocsApi<'a> {
    /// `allow_public_docs`: no token needed.
    pub public: bool,
    /// The admin JWT settings, read only when the docs are not public.
    pub admin_auth: &'a dyn Fn() -> Result<AdminAuthConfig, ApiError>,
    /// The bundled Swagger UI files.
    pub assets: &'a dyn DocsAssets,
}

impl DocsApi<'_> {
    /// Answers one request at `now`.
    pub fn handle(&self, request: &Request, now: Timestamp) -> Response {
        self.serve(request, now).unwrap_or_else(ApiError::into_response)
    }

    fn serve(&self, request: &Request, now: Timestamp) -> Result<Response, ApiError> {
        let path = request.uri().path();
        let asset = path.strip_prefix("/docs/");
        if path != DOCUMENT_PATH && path != PAGE_PATH && asset.is_none() {
            return Err(ApiError::not_found());
        }
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Err(
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "use GET")
                    .with_header(header::ALLOW, "GET, HEAD"),
            );
        }
        if !self.public {
            authenticate_with(&(self.admin_auth)()?, request, now)?;
        }
        let response = match (path, asset) {
            (DOCUMENT_PATH, _) => file(
                crate::openapi::document_json().into_bytes(),
                "application/json",
                "no-cache",
            ),
            (PAGE_PATH, _) if self.page_is_built() => page(PAGE),
            (PAGE_PATH, _) => page(NOT_BUILT),
            (_, Some("init.js")) => file(
                INIT_SCRIPT.as_bytes().to_vec(),
                "text/javascript; charset=utf-8",
                "no-cache",
            ),
            (_, Some(name)) => {
                let (name, content_type) = BUNDLED_ASSETS
                    .iter()
                    .find(|(known, _)| *known == name)
                    .ok_or_else(ApiError::not_found)?;
                let bytes = self.assets.read(name).ok_or_else(ApiError::not_found)?;
                file(bytes, content_type, "public, max-age=3600")
            }
            _ => return Err(ApiError::not_found()),
        };
        Ok(without_body_for_head(request, response))
    }

    /// Asked on every page load, so it looks the files up without reading them.
    fn page_is_built(&self) -> bool {
        BUNDLED_ASSETS
            .iter()
            .all(|(name, _)| self.assets.is_present(name))
    }
}

fn page(html: &str) -> Response {
    let mut response = file(html.as_bytes().to_vec(), "text/html; charset=utf-8", "no-cache");
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

/// `response` without its body when `request` is a `HEAD` (also for the admin page).
pub(crate) fn without_body_for_head(request: &Request, mut response: Response) -> Response {
    if request.method() == Method::HEAD {
        response.body_mut().clear();
    }
    response
}

/// The docs routes as the OpenAPI document describes them.
pub(crate) mod paths {
    #![allow(dead_code)]

    use crate::openapi::problems::{AdminForbidden, AdminUnauthorized, InternalError};

    /// This document (OpenAPI 3.1).
    #[utoipa::path(get, path = "/openapi.json", tag = "docs", operation_id = "openapiDocument",
        security((), ("admin_jwt" = [])),
        responses(
            (status = 200, description = "The document.", body = Object, content_type = "application/json"),
            (status = 401, response = AdminUnauthorized),
            (status = 403, response = AdminForbidden),
            (status = 500, response = InternalError),
        ))]
    pub(crate) fn openapi_document() {}

    /// A Swagger UI page rendering this document (or, before `cargo xtask build-docs`, a page
    /// saying how to build it).
    #[utoipa::path(get, path = "/docs", tag = "docs", operation_id = "docsPage",
        security((), ("admin_jwt" = [])),
        responses(
            (status = 200, description = "The page.", body = String, content_type = "text/html; charset=utf-8"),
            (status = 401, response = AdminUnauthorized),
            (status = 403, response = AdminForbidden),
            (status = 500, response = InternalError),
        ))]
    pub(crate) fn docs_page() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str, authorization: Option<&str>) -> Request {
        let mut builder = http::Request::builder().uri(path);
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        builder.body(Vec::new()).expect("request")
    }

    fn no_auth() -> Result<AdminAuthConfig, ApiError> {
        AdminAuthConfig::new(b"a-test-secret-of-enough-bytes-0123456789", None)
            .map_err(|e| ApiError::misconfigured(&e))
    }

    /// Every bundled file there (`Some`), or none at all (`None`).
    struct FakeAssets(bool);

    impl DocsAssets for FakeAssets {
        fn read(&self, name: &str) -> Option<Vec<u8>> {
            self.0.then(|| format!("/* {name} */").into_bytes())
        }

        fn is_present(&self, _name: &str) -> bool {
            self.0
        }
    }

    fn api(public: bool, built: bool) -> DocsApi<'static> {
        let assets: &'static FakeAssets = if built {
            &FakeAssets(true)
        } else {
            &FakeAssets(false)
        };
        DocsApi {
            public,
            admin_auth: &no_auth,
            assets,
        }
    }

    #[test]
    fn the_public_document_is_served_as_json_without_a_token() {
        let api = api(true, false);
        let response = api.handle(&get("/openapi.json", None), Timestamp::from_millis(0));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let document: serde_json::Value = serde_json::from_slice(response.body()).expect("json");
        assert_eq!(document["openapi"], "3.1.0");
    }

    #[test]
    fn docs_that_are_not_public_want_an_admin_token() {
        let api = api(false, true);
        for path in ["/openapi.json", "/docs", "/docs/swagger-ui.css"] {
            let response = api.handle(&get(path, None), Timestamp::from_millis(0));
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
            let response = api.handle(&get(path, Some("Bearer not-a-jwt")), Timestamp::from_millis(0));
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        }
    }

    #[test]
    fn the_page_loads_only_files_of_its_own_origin_and_says_how_to_build_it_when_absent() {
        let built = api(true, true);
        let response = built.handle(&get("/docs", None), Timestamp::from_millis(0));
        assert_eq!(response.status(), StatusCode::OK);
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        let html = String::from_utf8(response.into_body()).expect("utf-8");
        assert!(
            html.contains("/docs/swagger-ui-bundle.js") && !html.contains("<script>"),
            "{html}"
        );

        let unbuilt = api(true, false);
        let response = unbuilt.handle(&get("/docs", None), Timestamp::from_millis(0));
        assert_eq!(response.status(), StatusCode::OK);
        let html = String::from_utf8(response.into_body()).expect("utf-8");
        assert!(html.contains("cargo xtask build-docs"), "{html}");
        let missing = unbuilt.handle(&get("/docs/swagger-ui.css", None), Timestamp::from_millis(0));
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn an_assets_dir_counts_an_empty_or_missing_file_as_absent() {
        let dir = std::env::temp_dir().join(format!("hexaspin-docs-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("swagger-ui.css"), "body {}").expect("write");
        std::fs::write(dir.join("swagger-ui-bundle.js"), "").expect("write");
        let assets = AssetsDir(dir.clone());
        assert!(assets.is_present("swagger-ui.css"));
        assert_eq!(assets.read("swagger-ui.css").as_deref(), Some(&b"body {}"[..]));
        assert!(!assets.is_present("swagger-ui-bundle.js"), "empty");
        assert!(!assets.is_present("missing.js"));
        assert_eq!(assets.read("missing.js"), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn only_the_bundled_asset_names_are_served() {
        let api = api(true, true);
        for path in ["/docs/../etc/passwd", "/docs/package.json", "/docs/"] {
            let response = api.handle(&get(path, None), Timestamp::from_millis(0));
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let script = api.handle(
            &get("/docs/swagger-ui-bundle.js", None),
            Timestamp::from_millis(0),
        );
        assert_eq!(script.status(), StatusCode::OK);
        assert_eq!(script.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}

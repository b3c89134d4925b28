//! The admin page (component `admin-ui`): a single-page app under `/admin-ui/...`, built from
//! `admin-ui/` by `cargo xtask build-ui` into `target/admin-ui` and mounted into the component as
//! Spin files, read through [`DocsAssets`].
//!
//! A files mount rather than assets compiled into the wasm: a UI change needs no Rust build and
//! the component stays small; Spin reads the files from the mount per request. Hashed files under
//! `assets/` are immutable (a new build gets new names); `index.html` is never cached, so a deploy
//! takes effect on the next load. Every path that is not a file gets `index.html` (the app routes
//! in the browser), except below `assets/`, where a missing file is a 404 rather than HTML in a
//! script's place. Without a build, `/admin-ui` answers a page saying how to make one. The page
//! itself holds no data: it calls the admin API with the admin JWT the user signs in with.

use http::{HeaderValue, Method, StatusCode, header};

use crate::docs::{DocsAssets, without_body_for_head};
use crate::{ApiError, Request, Response};

/// Where the app is served.
pub const BASE_PATH: &str = "/admin-ui";

/// Scripts, styles, images and API calls from this origin only; no inline script or style
/// (the build emits none), no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>hexaspin admin: not built</title></head>
<body>
<h1>The admin page is not built</h1>
<p>It is a Vite + React app in <code>admin-ui/</code>. Build it with <code>cargo xtask build-ui</code>
(needs Node 20 or newer; <code>cargo xtask dev</code> does it when Node is on PATH) and reload.
The admin API works without it: see <a href="/docs">/docs</a>.</p>
</body>
</html>
"#;

/// The admin page over its built files.
pub struct AdminUiApi<'a> {
    /// `target/admin-ui`, as mounted.
    pub assets: &'a dyn DocsAssets,
}

impl AdminUiApi<'_> {
    /// Answers one request; never a 500 (nothing here can fail but a missing file).
    pub fn handle(&self, request: &Request) -> Response {
        self.serve(request).unwrap_or_else(ApiError::into_response)
    }

    fn serve(&self, request: &Request) -> Result<Response, ApiError> {
        let path = request.uri().path();
        let rest = match path.strip_prefix(BASE_PATH) {
            Some("") => "",
            Some(rest) if rest.starts_with('/') => &rest[1..],
            _ => return Err(ApiError::not_found()),
        };
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return Err(
                ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "use GET")
                    .with_header(header::ALLOW, "GET, HEAD"),
            );
        }
        let response = if let Some(name) = file_name(rest).filter(|name| self.assets.is_present(name)) {
            let bytes = self.assets.read(name).ok_or_else(ApiError::not_found)?;
            let cache = if name.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            file(bytes, content_type(name), cache)
        } else if rest.starts_with("assets/") {
            return Err(ApiError::not_found());
        } else {
            match self.assets.read("index.html") {
                Some(index) => file(index, "text/html; charset=utf-8", "no-cache"),
                None => file(
                    NOT_BUILT.as_bytes().to_vec(),
                    "text/html; charset=utf-8",
                    "no-cache",
                ),
            }
        };
        Ok(without_body_for_head(request, response))
    }
}

/// A path below the mount that can name a file: plain segments only (no `..`, `.`, empty,
/// backslash or control characters), so nothing outside the mount can be asked for.
fn file_name(rest: &str) -> Option<&str> {
    let plain = !rest.is_empty()
        && rest.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        });
    plain.then_some(rest)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A file of the page: a static file, with the page's referrer and content security policies.
fn file(body: Vec<u8>, content_type: &'static str, cache: &'static str) -> Response {
    let mut response = crate::response::static_file(body, content_type, cache);
    let headers = response.headers_mut();
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Files(HashMap<&'static str, &'static str>);

    impl DocsAssets for Files {
        fn read(&self, name: &str) -> Option<Vec<u8>> {
            self.0.get(name).map(|text| text.as_bytes().to_vec())
        }
        fn is_present(&self, name: &str) -> bool {
            self.0.contains_key(name)
        }
    }

    fn built() -> Files {
        Files(HashMap::from([
            ("index.html", "<html>app</html>"),
            ("assets/index-abc123.js", "console.log(1)"),
            ("assets/index-abc123.css", "body{}"),
            ("favicon.svg", "<svg/>"),
        ]))
    }

    fn get(assets: &dyn DocsAssets, method: &str, path: &str) -> Response {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("http://localhost{path}"))
            .body(Vec::new())
            .unwrap();
        AdminUiApi { assets }.handle(&request)
    }

    fn header<'a>(response: &'a Response, name: &str) -> &'a str {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn hashed_assets_are_immutable_with_their_content_type_and_index_is_never_cached() {
        let files = built();
        let script = get(&files, "GET", "/admin-ui/assets/index-abc123.js");
        assert_eq!(script.status(), 200);
        assert_eq!(header(&script, "content-type"), "text/javascript; charset=utf-8");
        assert_eq!(
            header(&script, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        let style = get(&files, "GET", "/admin-ui/assets/index-abc123.css");
        assert_eq!(header(&style, "content-type"), "text/css; charset=utf-8");
        for path in ["/admin-ui", "/admin-ui/", "/admin-ui/index.html"] {
            let index = get(&files, "GET", path);
            assert_eq!(index.body(), b"<html>app</html>", "{path}");
            assert_eq!(header(&index, "cache-control"), "no-cache", "{path}");
        }
        assert_eq!(
            header(&get(&files, "GET", "/admin-ui/favicon.svg"), "content-type"),
            "image/svg+xml"
        );
    }

    #[test]
    fn every_answer_carries_a_strict_policy_and_nosniff() {
        let files = built();
        for path in [
            "/admin-ui/",
            "/admin-ui/assets/index-abc123.js",
            "/admin-ui/keys/abc",
        ] {
            let response = get(&files, "GET", path);
            let policy = header(&response, "content-security-policy");
            assert!(policy.starts_with("default-src 'self'"), "{path}: {policy}");
            assert!(
                !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
                "{policy}"
            );
            assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{path}");
        }
    }

    #[test]
    fn app_routes_fall_back_to_index_but_missing_assets_and_escapes_are_not_found() {
        let files = built();
        let deep = get(&files, "GET", "/admin-ui/keys/0123456789abcdef");
        assert_eq!(
            (deep.status().as_u16(), deep.body().as_slice()),
            (200, &b"<html>app</html>"[..])
        );
        assert_eq!(get(&files, "GET", "/admin-ui/assets/gone.js").status(), 404);
        for escape in [
            "/admin-ui/../spin.toml",
            "/admin-ui/assets/../../x",
            "/admin-ui/%2e%2e/x",
        ] {
            let response = get(&files, "GET", escape);
            assert_ne!(response.body().as_slice(), b"console.log(1)", "{escape}");
            assert!(response.status() == 200 || response.status() == 404, "{escape}");
        }
        assert_eq!(get(&files, "GET", "/admin-uix").status(), 404);
    }

    #[test]
    fn without_a_build_the_page_says_how_to_make_one() {
        let empty = Files(HashMap::new());
        let response = get(&empty, "GET", "/admin-ui");
        assert_eq!(response.status(), 200);
        assert!(String::from_utf8_lossy(response.body()).contains("cargo xtask build-ui"));
    }

    #[test]
    fn only_get_and_head_are_answered_and_head_has_no_body() {
        let files = built();
        let post = get(&files, "POST", "/admin-ui/");
        assert_eq!(
            (post.status().as_u16(), header(&post, "allow")),
            (405, "GET, HEAD")
        );
        let head = get(&files, "HEAD", "/admin-ui/");
        assert_eq!(head.status(), 200);
        assert!(head.body().is_empty());
    }
}

//! The APIs' route tables, matched one way: a path finds its route and parameters or is 404; a
//! method the route does not answer is 405 with the `Allow` header the table gives; the OpenAPI
//! document's completeness test reads the same tables.

use http::{StatusCode, header};

use crate::ApiError;

/// A table of routes: each path once, with the methods it answers.
pub(crate) trait RouteTable: Copy + Send + Sync + 'static {
    /// Every route with its path (matchit syntax: `/api/jobs/{id}`).
    const ROUTES: &'static [(&'static str, Self)];

    /// The methods the route answers, as the `Allow` header lists them.
    fn allowed_methods(self) -> &'static str;
}

/// The router of a table, built from [`RouteTable::ROUTES`].
pub(crate) fn router<R: RouteTable>() -> matchit::Router<R> {
    let mut router = matchit::Router::new();
    for (path, route) in R::ROUTES {
        // The tables are static and conflict-free; a failure here is a programming error caught
        // by every test that routes a request (and by this module's own test).
        #[allow(clippy::expect_used)]
        router
            .insert(*path, *route)
            .expect("a route table's paths do not conflict");
    }
    router
}

/// The route `path` matches, with its parameters, or 404.
pub(crate) fn route_of<'r, 'p, R>(
    router: &'r matchit::Router<R>,
    path: &'p str,
) -> Result<matchit::Match<'r, 'p, &'r R>, ApiError> {
    router.at(path).map_err(|_| ApiError::not_found())
}

/// 405 for a method `route` does not answer, with its `Allow` header.
pub(crate) fn method_not_allowed<R: RouteTable>(route: R) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this method is not allowed here",
    )
    .with_header(header::ALLOW, route.allowed_methods())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_table_builds<R: RouteTable>() -> usize {
        let router = router::<R>();
        for (path, _) in R::ROUTES {
            let concrete = path.replace("{id}", "abc");
            assert!(route_of(&router, &concrete).is_ok(), "{path}");
        }
        R::ROUTES.len()
    }

    #[test]
    fn every_route_table_builds_and_matches_each_of_its_paths() {
        assert!(every_table_builds::<crate::admin_keys::Route>() > 0);
        assert!(every_table_builds::<crate::jobs::Route>() > 0);
        assert!(every_table_builds::<crate::users::Route>() > 0);
    }

    #[test]
    fn a_method_a_route_does_not_answer_is_405_with_its_allow_header() {
        let response = method_not_allowed(crate::jobs::Route::Batch).into_response();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "POST");
    }
}

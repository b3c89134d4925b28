//! The shape every Spin component that counts its requests shares, written once: the access
//! line, the store that counts requests, the component's own handler, its error as problem+json,
//! and the request counted for `/metrics` whatever the handler answered — also a refusal, and
//! also when a setting or another store failed before the handler got far.
//!
//! A component is then this call plus its handler:
//!
//! ```text
//! async fn handle(request: Request, body: PendingBody) -> Response {
//!     // open_configured_jobs: fn() -> Result<SpinJobs, ApiError>, from the Spin adapter
//!     serve_counted(COMPONENT, request, open_configured_jobs, |jobs| jobs, async |request, jobs| {
//!         serve(request, body, jobs).await
//!     })
//!     .await
//! }
//! ```
//!
//! Only a request whose counting store cannot be opened (its settings are wrong, the embedded
//! database will not open) goes uncounted: there is nowhere to count it, and the error says why.

use hexaspin_core::ports::MetricsStore;

use crate::metrics::requests::count_request;
use crate::{ApiError, Request, Response};

/// Serves `request` as the component `component`: `open` opens what the handler needs (at least
/// the store its requests are counted in, which `counts_in` picks out of it) or says why it
/// cannot; `handler` answers the request with it at hand. The answer is access-logged (its
/// duration includes the opening) and counted once, error or not.
pub async fn serve_counted<S, M, O, H>(
    component: &'static str,
    request: Request,
    open: O,
    counts_in: fn(&S) -> &M,
    handler: H,
) -> Response
where
    M: MetricsStore,
    O: FnOnce() -> Result<S, ApiError>,
    H: AsyncFnOnce(Request, &S) -> Result<Response, ApiError>,
{
    crate::log::with_access_log(component, request, move |request| async move {
        let opened = match open() {
            Ok(opened) => opened,
            Err(error) => return error.into_response(),
        };
        let response = handler(request, &opened)
            .await
            .unwrap_or_else(ApiError::into_response);
        count_request(counts_in(&opened), component, &response).await;
        response
    })
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use hexaspin_core::Timestamp;
    use hexaspin_core::metrics::{CounterValue, Heartbeat, Series};
    use hexaspin_core::ports::StoreError;
    use http::StatusCode;

    use super::*;

    /// Records the counts it is given (its clones share them); nothing else may be called.
    #[derive(Clone, Default)]
    struct RecordedCounts(Arc<Mutex<Vec<(Series, u64)>>>);

    impl MetricsStore for RecordedCounts {
        async fn add_counts(&self, increments: &[(Series, u64)]) -> Result<(), StoreError> {
            self.0.lock().unwrap().extend_from_slice(increments);
            Ok(())
        }
        async fn counters(&self) -> Result<Vec<CounterValue>, StoreError> {
            unreachable!("the frame only adds counts")
        }
        async fn heartbeat(&self, _: &str, _: Timestamp) -> Result<(), StoreError> {
            unreachable!("the frame only adds counts")
        }
        async fn heartbeats(&self) -> Result<Vec<Heartbeat>, StoreError> {
            unreachable!("the frame only adds counts")
        }
        async fn forget_worker(&self, _: &str) -> Result<bool, StoreError> {
            unreachable!("the frame only adds counts")
        }
        async fn forget_workers(&self, _: Timestamp) -> Result<u64, StoreError> {
            unreachable!("the frame only adds counts")
        }
    }

    fn request() -> Request {
        http::Request::builder()
            .uri("/api/things")
            .header("x-request-id", "req-1")
            .body(Vec::new())
            .unwrap()
    }

    #[tokio::test]
    async fn an_answer_and_an_error_of_the_handler_are_each_counted_once_and_logged() {
        let counts = RecordedCounts::default();
        let ok = serve_counted(
            "things",
            request(),
            || Ok(counts.clone()),
            |c| c,
            async |_, _| Ok(http::Response::new(Vec::new())),
        )
        .await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(ok.headers()["x-request-id"], "req-1");
        let refused = serve_counted(
            "things",
            request(),
            || Ok(counts.clone()),
            |c| c,
            async |_, _| {
                Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "later",
                ))
            },
        )
        .await;
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            *counts.0.lock().unwrap(),
            vec![
                (Series::http_requests("things", 200), 1),
                (Series::http_requests("things", 503), 1)
            ]
        );
    }

    #[tokio::test]
    async fn without_a_counting_store_the_request_is_answered_with_why_and_the_handler_never_runs() {
        let unavailable: Result<RecordedCounts, ApiError> = Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_misconfigured",
            "queue",
        ));
        let answer = serve_counted(
            "things",
            request(),
            || unavailable,
            |c| c,
            async |_, _| panic!("the handler must not run without its store"),
        )
        .await;
        assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.headers()["x-request-id"], "req-1");
    }
}

//! Request counters: each component adds its request (by status class) and whatever the API
//! marked on the response (quota rejections) in ONE store call after answering.

use hexaspin_core::metrics::Series;
use hexaspin_core::ports::MetricsStore;

use crate::Response;

/// Counter events a response stands for, carried in its extensions (never sent to the client).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted(pub Vec<Series>);

/// Marks a response whose counts the store already added, in the call that decided it
/// (`hexaspin_core::ports::OutcomeCounts`): counting it again would count it twice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountedByStore;

/// What one request adds: one to its component's status class, one per marked event; nothing
/// for a response the store counted already.
pub fn increments(component: &'static str, response: &Response) -> Vec<(Series, u64)> {
    if response.extensions().get::<CountedByStore>().is_some() {
        return Vec::new();
    }
    let mut increments = vec![(Series::http_requests(component, response.status().as_u16()), 1)];
    if let Some(Counted(events)) = response.extensions().get::<Counted>() {
        increments.extend(events.iter().map(|series| (series.clone(), 1)));
    }
    increments
}

/// Adds the request's counts in one round trip. Losing a count is better than failing a request
/// that was already served: a store error is logged, not returned.
pub async fn count_request<M: MetricsStore>(metrics: &M, component: &'static str, response: &Response) {
    let increments = increments(component, response);
    if increments.is_empty() {
        return;
    }
    if let Err(error) = metrics.add_counts(&increments).await {
        crate::log::error("metrics: counting the request", &error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApiError;

    #[test]
    fn a_request_counts_its_status_class_and_the_events_it_was_marked_with() {
        let plain = http::Response::new(Vec::new());
        assert_eq!(
            increments("jobs", &plain),
            vec![(Series::http_requests("jobs", 200), 1)]
        );
        let refused = ApiError::new(http::StatusCode::TOO_MANY_REQUESTS, "rate_limited", "slow down")
            .counting(Series::quota_rejection("rate_limited"))
            .into_response();
        assert_eq!(
            increments("jobs", &refused),
            vec![
                (Series::http_requests("jobs", 429), 1),
                (Series::quota_rejection("rate_limited"), 1)
            ]
        );
    }
}

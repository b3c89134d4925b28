//! The jobs API's operations as the OpenAPI document describes them, beside the handlers in
//! [`super`] that answer them. Each function only carries its `#[utoipa::path]`.

#![allow(dead_code)]

use super::dto::{BatchBody, BatchView, DispatchBody, JobView, ListJobsQuery, QueueDepthsView};
use crate::openapi::problems::{
    AdminAccess, BadQuery, BatchInvalid, DispatchInvalid, DispatchTooManyRequests, JobNotDead, JobRunning,
    JsonBodyFailures, KeyAccess, KeyTooManyRequests, NotFound, StoreFailures,
};
use crate::response::Page;

/// Dispatches a job under the key's quotas. The key needs the `jobs:write` scope.
#[utoipa::path(
    post, path = "/api/jobs", tag = "jobs", operation_id = "dispatchJob",
    security(("api_key" = []), ("api_key_header" = [])),
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[\\x21-\\x7e]{1,255}$",
        description = "Makes the dispatch safe to retry: the same key returns the first job (200, `Idempotent-Replayed: true`) for a day.")),
    request_body(content = DispatchBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted: the job is queued (or scheduled).", body = JobView,
            headers(
                ("Location" = String, description = "The job's URL."),
                ("RateLimit-Limit" = u64, description = "Requests the key may make in a burst."),
                ("RateLimit-Remaining" = u64, description = "Requests left in the current burst."),
                ("RateLimit-Reset" = u64, description = "Seconds until the burst is whole again."),
            ),
            links(
                ("GetJob" = (operation_id = "getJob", parameters(("id" = "$response.body#/id")))),
                ("CancelJob" = (operation_id = "cancelJob", parameters(("id" = "$response.body#/id")))),
                ("RetryDeadJob" = (operation_id = "retryDeadJob", parameters(("id" = "$response.body#/id")))),
                ("DeleteJob" = (operation_id = "deleteJob", parameters(("id" = "$response.body#/id")))),
            )),
        (status = 200, description = "A replay: this `Idempotency-Key` was used before; its job, unchanged.", body = JobView,
            headers(
                ("Location" = String, description = "The job's URL."),
                ("Idempotent-Replayed" = String, description = "`true`."),
            )),
        JsonBodyFailures,
        KeyAccess,
        (status = 422, response = DispatchInvalid),
        (status = 429, response = DispatchTooManyRequests),
        StoreFailures,
    ),
)]
pub(crate) fn dispatch_job() {}

/// Dispatches up to 500 jobs in one request. Each job is validated, takes a use of the key and
/// is judged by the key's rate and daily quota on its own, as if sent alone: one refused job does
/// not refuse the others. All are stored in one store call. The key needs `jobs:write`.
#[utoipa::path(
    post, path = "/api/jobs/batch", tag = "jobs", operation_id = "dispatchJobBatch",
    security(("api_key" = []), ("api_key_header" = [])),
    request_body(content = BatchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The batch was judged: one result per job, in order (202 accepted, 200 replayed, else the job's problem).",
            body = BatchView,
            headers(
                ("RateLimit-Limit" = u64, description = "Requests the key may make in a burst."),
                ("RateLimit-Remaining" = u64, description = "Requests left after the batch's last accepted job."),
                ("RateLimit-Reset" = u64, description = "Seconds until the burst is whole again."),
            )),
        JsonBodyFailures,
        KeyAccess,
        (status = 422, response = BatchInvalid),
        (status = 429, response = KeyTooManyRequests),
        StoreFailures,
    ),
)]
pub(crate) fn dispatch_job_batch() {}

/// Lists the key's own jobs, newest first. The key needs `jobs:read`.
#[utoipa::path(
    get, path = "/api/jobs", tag = "jobs", operation_id = "listJobs",
    security(("api_key" = []), ("api_key_header" = [])),
    params(ListJobsQuery),
    responses(
        (status = 200, description = "A page of jobs.", body = Page<JobView>),
        (status = 400, response = BadQuery),
        KeyAccess,
        (status = 429, response = KeyTooManyRequests),
        StoreFailures,
    ),
)]
pub(crate) fn list_jobs() {}

/// Reads one of the key's jobs. The key needs `jobs:read`.
#[utoipa::path(
    get, path = "/api/jobs/{id}", tag = "jobs", operation_id = "getJob",
    security(("api_key" = []), ("api_key_header" = [])),
    params(("id" = String, Path, description = "The job's id (32 hex digits).")),
    responses(
        (status = 200, description = "The job.", body = JobView),
        KeyAccess,
        (status = 404, response = NotFound),
        (status = 429, response = KeyTooManyRequests),
        StoreFailures,
    ),
)]
pub(crate) fn get_job() {}

/// Cancels one of the key's jobs: a waiting one at once, a running one when its attempt ends.
/// The key needs `jobs:write`.
#[utoipa::path(
    delete, path = "/api/jobs/{id}", tag = "jobs", operation_id = "cancelJob",
    security(("api_key" = []), ("api_key_header" = [])),
    params(("id" = String, Path, description = "The job's id (32 hex digits).")),
    responses(
        (status = 200, description = "The job, cancelled or with `cancel_requested`.", body = JobView),
        KeyAccess,
        (status = 404, response = NotFound),
        (status = 429, response = KeyTooManyRequests),
        StoreFailures,
    ),
)]
pub(crate) fn cancel_job() {}

/// Counts jobs by state and priority.
#[utoipa::path(
    get, path = "/api/admin/queues", tag = "queues", operation_id = "queueDepths",
    security(("admin_jwt" = [])),
    responses(
        (status = 200, description = "Depths.", body = QueueDepthsView),
        AdminAccess,
        StoreFailures,
    ),
)]
pub(crate) fn queue_depths() {}

/// Lists every key's jobs, newest first (admin view: names the key).
#[utoipa::path(
    get, path = "/api/admin/jobs", tag = "queues", operation_id = "adminListJobs",
    security(("admin_jwt" = [])),
    params(ListJobsQuery),
    responses(
        (status = 200, description = "A page of jobs.", body = Page<JobView>),
        (status = 400, response = BadQuery),
        AdminAccess,
        StoreFailures,
    ),
)]
pub(crate) fn admin_list_jobs() {}

/// Queues a dead job again, with its attempts reset.
#[utoipa::path(
    post, path = "/api/admin/jobs/{id}/retry", tag = "queues", operation_id = "retryDeadJob",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The job's id (32 hex digits).")),
    responses(
        (status = 200, description = "The job, queued again.", body = JobView),
        AdminAccess,
        (status = 404, response = NotFound),
        (status = 409, response = JobNotDead),
        StoreFailures,
    ),
)]
pub(crate) fn retry_dead_job() {}

/// Deletes a job that is not running.
#[utoipa::path(
    delete, path = "/api/admin/jobs/{id}", tag = "queues", operation_id = "deleteJob",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The job's id (32 hex digits).")),
    responses(
        (status = 204, description = "Deleted."),
        AdminAccess,
        (status = 404, response = NotFound),
        (status = 409, response = JobRunning),
        StoreFailures,
    ),
)]
pub(crate) fn delete_job() {}

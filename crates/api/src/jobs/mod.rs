//! The jobs API (component `jobs`): clients dispatch and read jobs with their API key; admins
//! (JWT) inspect queues and manage dead jobs.
//!
//! Client routes (`Authorization: Bearer <api key>` or `X-API-Key`): `POST /api/jobs`,
//! `POST /api/jobs/batch`, `GET /api/jobs`, `GET|DELETE /api/jobs/{id}`. Admin routes (admin JWT):
//! `GET /api/admin/queues`, `GET /api/admin/jobs`, `POST /api/admin/jobs/{id}/retry`,
//! `DELETE /api/admin/jobs/{id}`.

mod batch;
mod dto;
pub(crate) mod paths;
pub(crate) mod problems;
mod settings;

pub use settings::JobsSettings;

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::PresentedKey;
use hexaspin_core::job::{IdempotencyKey, JobId, JobState};
use hexaspin_core::pagination::{JobCursor, PageSize};
use hexaspin_core::ports::{
    AccessCounts, ApiKeyStore, AuditLog, Entropy, JobAccess, JobStore, KeyCache, OutcomeCounts, RateLimiter,
    SettledOutcome,
};
use hexaspin_core::quota::Decision;
use hexaspin_core::use_cases::{
    self, DispatchContext, Dispatched, JobAccessStores, JobListQuery, JobRequest, KeyCheck, READ_SCOPE,
    VerifiedKey, WRITE_SCOPE,
};
use http::{HeaderValue, Method, StatusCode, header};

use self::dto::{DepthView, DispatchBody, JobView, ListJobsQuery, QueueDepthsView};
use crate::admin_keys::authenticate_with;
use crate::bearer::Bearer;
use crate::body::{BodyLimit, json_body, query, query_param};
use crate::client::client_network;
use crate::metrics::requests::{CountedByStore, increments};
use crate::response::{Page, json};
use crate::routing::{RouteTable, method_not_allowed, route_of, router};
use crate::{ApiError, Request, Response};

/// The component the jobs API is served by, as `/metrics` counts its requests.
pub const COMPONENT: &str = "jobs";
/// Where jobs live; `Location` headers point below it.
pub const JOBS_PATH: &str = "/api/jobs";
/// Bytes a dispatch body may carry beyond the payload limit (the other fields).
const ENVELOPE_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    Jobs,
    Batch,
    Job,
    Queues,
    AdminJobs,
    AdminJob,
    AdminRetry,
}

/// Every route with its path ([`RouteTable::ROUTES`]).
const ROUTES: [(&str, Route); 7] = [
    (JOBS_PATH, Route::Jobs),
    (batch::BATCH_PATH, Route::Batch),
    ("/api/jobs/{id}", Route::Job),
    ("/api/admin/queues", Route::Queues),
    ("/api/admin/jobs", Route::AdminJobs),
    ("/api/admin/jobs/{id}", Route::AdminJob),
    ("/api/admin/jobs/{id}/retry", Route::AdminRetry),
];

/// How much body `request` may carry: a dispatch its payload limit plus the other fields, a batch
/// that per job up to a cap, every other route none (reads the dispatch settings only for a
/// dispatch).
pub fn body_limit(request: &Request, settings: &JobsSettings<'_>) -> Result<BodyLimit, ApiError> {
    if request.method() != Method::POST {
        return Ok(BodyLimit::Ignored);
    }
    match request.uri().path() {
        JOBS_PATH => Ok(BodyLimit::UpTo(
            settings.dispatch()?.max_payload_bytes + ENVELOPE_BYTES,
        )),
        batch::BATCH_PATH => Ok(BodyLimit::UpTo(batch::body_limit(
            settings.dispatch()?.max_payload_bytes,
        ))),
        _ => Ok(BodyLimit::Ignored),
    }
}

/// The jobs API over its stores.
pub struct JobsApi<'a, K, J, E> {
    /// API keys.
    pub keys: &'a K,
    /// Jobs, quotas, the failed-verification limiter and the key cache.
    pub jobs: &'a J,
    /// Randomness for job ids.
    pub entropy: &'a E,
    /// Key hashing, admin JWTs, dispatch settings, the failed-verification limit: each read when
    /// a request first needs it.
    pub settings: &'a JobsSettings<'a>,
}

/// Who a request is from, settled from its head alone.
#[derive(Debug)]
enum Caller {
    /// An API key that verified, with the scope the route needs.
    Client(VerifiedKey),
    /// A valid admin JWT (its subject).
    Admin(String),
    /// An API key as presented, for a dispatch or a job's read or cancellation: checked together
    /// with the request's store call, in one step where the store can (a dispatch once its body,
    /// bounded by the dispatch's limit, is in).
    Presented(String),
}

/// A request whose route and caller were settled from its head, before its body is read: an
/// unknown route, a wrong method, or a key or token that does not verify is refused without
/// reading a byte of body (a batch may carry megabytes).
#[derive(Debug)]
pub struct Admitted {
    route: Route,
    caller: Caller,
}

impl Admitted {
    /// The admin acting, for the audit log (empty for a client: never asked).
    fn actor(&self) -> &str {
        match &self.caller {
            Caller::Admin(sub) => sub,
            Caller::Client(_) | Caller::Presented(_) => "",
        }
    }
}

impl<K, J, E> JobsApi<'_, K, J, E>
where
    K: ApiKeyStore + AuditLog,
    J: JobStore + RateLimiter + KeyCache,
    E: Entropy,
{
    /// Handles one request at `now` (head and body at once: the native app and tests).
    pub async fn handle(&self, request: &Request, now: Timestamp) -> Response {
        match self.admit(request, now).await {
            Ok(admitted) => self.handle_admitted(admitted, request, now).await,
            Err(error) => error.into_response(),
        }
    }

    /// Routes `request` and authenticates its caller from its head alone.
    pub async fn admit(&self, request: &Request, now: Timestamp) -> Result<Admitted, ApiError> {
        let route = *route_of(&router::<Route>(), request.uri().path())?.value;
        let scope = match (route, request.method()) {
            (Route::Jobs | Route::Batch, &Method::POST) | (Route::Job, &Method::DELETE) => Some(WRITE_SCOPE),
            (Route::Jobs | Route::Job, &Method::GET) => Some(READ_SCOPE),
            (Route::Queues | Route::AdminJobs, &Method::GET)
            | (Route::AdminJob, &Method::DELETE)
            | (Route::AdminRetry, &Method::POST) => None,
            (route, _) => return Err(method_not_allowed(route)),
        };
        let one_step = matches!(
            (route, request.method()),
            (Route::Jobs, &Method::POST) | (Route::Job, &Method::GET | &Method::DELETE)
        );
        let caller = match scope {
            Some(scope) if one_step => {
                let presented = presented_key_of(request)?;
                if PresentedKey::parse(&presented).is_err() {
                    // Not even shaped like a key: refused (and charged) from the head, before
                    // any body is read.
                    self.client(request, scope, now).await?;
                }
                Caller::Presented(presented)
            }
            Some(scope) => Caller::Client(self.client(request, scope, now).await?),
            None => Caller::Admin(self.admin(request, now)?),
        };
        Ok(Admitted { route, caller })
    }

    /// The answer to an admitted request whose body could not be read (`refusal`: over its limit,
    /// broken off, no room to hold it): for a key not checked yet, the key's refusal first, so a
    /// bad key is answered as such whatever its body did.
    pub async fn body_refused(
        &self,
        admitted: &Admitted,
        request: &Request,
        refusal: ApiError,
        now: Timestamp,
    ) -> Response {
        if let Caller::Presented(_) = &admitted.caller {
            let scope = if request.method() == Method::GET {
                READ_SCOPE
            } else {
                WRITE_SCOPE
            };
            if let Err(key_refused) = self.client(request, scope, now).await {
                return key_refused.into_response();
            }
        }
        refusal.into_response()
    }

    /// Handles an admitted request (its body read by now) at `now`.
    pub async fn handle_admitted(&self, admitted: Admitted, request: &Request, now: Timestamp) -> Response {
        match self.dispatch_route(admitted, request, now).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    }

    async fn dispatch_route(
        &self,
        admitted: Admitted,
        request: &Request,
        now: Timestamp,
    ) -> Result<Response, ApiError> {
        let router = router::<Route>();
        let matched = route_of(&router, request.uri().path())?;
        let id = matched
            .params
            .get("id")
            .map(|id| JobId::parse(id).map_err(|_| ApiError::not_found()));
        let job_id = || id.clone().unwrap_or_else(|| Err(ApiError::not_found()));
        let key = match &admitted.caller {
            Caller::Client(key) => Some(key),
            Caller::Admin(_) => None,
            Caller::Presented(presented) => {
                return match (admitted.route, request.method()) {
                    (Route::Jobs, _) => self.create(request, presented, now).await,
                    (_, &Method::GET) => {
                        self.access_job(request, presented, job_id(), JobAccess::Find, now)
                            .await
                    }
                    _ => {
                        self.access_job(request, presented, job_id(), JobAccess::Cancel, now)
                            .await
                    }
                };
            }
        };
        match (admitted.route, key) {
            (Route::Batch, Some(key)) => self.create_batch(request, key, now).await,
            (Route::Jobs, Some(key)) => self.list(request, Some(key), false).await,
            (Route::Queues, None) => {
                let depths = self
                    .jobs
                    .queue_depths()
                    .await?
                    .iter()
                    .map(DepthView::from)
                    .collect();
                Ok(json(StatusCode::OK, &QueueDepthsView { depths }))
            }
            (Route::AdminJobs, None) => self.list(request, None, true).await,
            (Route::AdminRetry, None) => {
                let actor = admitted.actor();
                let job = use_cases::retry_dead_job(self.jobs, self.keys, &job_id()?, actor, now).await?;
                Ok(json(StatusCode::OK, &JobView::for_admin(&job)))
            }
            (Route::AdminJob, None) => {
                let actor = admitted.actor();
                use_cases::delete_job(self.jobs, self.keys, &job_id()?, actor, now).await?;
                Ok(crate::response::no_content())
            }
            // admit() let only these pairs through.
            (route, _) => Err(method_not_allowed(route)),
        }
    }

    /// Verifies the presented API key and scope, as an attempt charged to the client's
    /// failed-verification bucket before the key is looked at (given back if the key is valid):
    /// a client over that limit makes the service do no verification work, however many requests
    /// it sends at once.
    async fn client(
        &self,
        request: &Request,
        scope: &'static str,
        now: Timestamp,
    ) -> Result<VerifiedKey, ApiError> {
        let presented = presented_key_of(request)?;
        use_cases::authorize_key_attempt(
            self.keys,
            self.jobs,
            self.key_check(request)?,
            &presented,
            scope,
            now,
        )
        .await
        .map_err(|error| problems::dispatch_error(error, now))
    }

    /// How `request`'s key is checked: the pepper and the failed-verification limit of its
    /// client's network.
    fn key_check(&self, request: &Request) -> Result<KeyCheck<'_>, ApiError> {
        let failures = self.settings.auth_failures()?;
        Ok(KeyCheck {
            hasher: self.settings.hasher()?,
            failures: failures.rule,
            client: client_network(&failures.client_address, request),
        })
    }

    /// Checks the admin JWT of an admin route; its subject.
    fn admin(&self, request: &Request, now: Timestamp) -> Result<String, ApiError> {
        Ok(authenticate_with(self.settings.admin_auth()?, request, now)?.sub)
    }

    /// The key's own job after `access` ([`use_cases::access_own_job_with_key`]), or 404
    /// (another key's job is as good as absent); a response the store counted already is marked.
    async fn access_job(
        &self,
        request: &Request,
        presented: &str,
        id: Result<JobId, ApiError>,
        access: JobAccess,
        now: Timestamp,
    ) -> Result<Response, ApiError> {
        let scope = match access {
            JobAccess::Find => READ_SCOPE,
            JobAccess::Cancel => WRITE_SCOPE,
        };
        let id = match id {
            Ok(id) => id,
            // A key that does not verify is answered as such whatever the path holds.
            Err(not_found) => {
                self.client(request, scope, now).await?;
                return Err(not_found);
            }
        };
        let stores = JobAccessStores {
            keys: self.keys,
            jobs: self.jobs,
        };
        let counts = ACCESS_COUNTS.get_or_init(access_counts);
        let check = self.key_check(request)?;
        let keyed =
            use_cases::access_own_job_with_key(stores, check, presented, scope, &id, access, counts, now)
                .await;
        let mut response = match keyed.result {
            Ok(Some(job)) => json(StatusCode::OK, &JobView::of(&job)),
            Ok(None) => ApiError::not_found().into_response(),
            Err(error) => problems::dispatch_error(error, now).into_response(),
        };
        if keyed.counted {
            response.extensions_mut().insert(CountedByStore);
        }
        Ok(response)
    }

    /// What dispatch works with: the stores and the settings (read when first needed).
    fn dispatch_context(&self) -> Result<DispatchContext<'_, K, J, E>, ApiError> {
        Ok(DispatchContext {
            keys: self.keys,
            jobs: self.jobs,
            entropy: self.entropy,
            hasher: self.settings.hasher()?,
            settings: self.settings.dispatch()?,
        })
    }

    /// `POST /api/jobs`: the key checked and the job dispatched together
    /// ([`use_cases::dispatch_with_key`]), and, when the store settled it alone, the answer
    /// counted by the store too.
    async fn create(&self, request: &Request, presented: &str, now: Timestamp) -> Result<Response, ApiError> {
        let job_request = match parse_dispatch(request, self.settings.dispatch()?.max_payload_bytes) {
            Ok(job_request) => job_request,
            // A key that does not verify is answered as such whatever the body holds.
            Err(malformed) => {
                self.client(request, WRITE_SCOPE, now).await?;
                return Err(malformed);
            }
        };
        let ctx = self.dispatch_context()?;
        let check = self.key_check(request)?;
        let counts = OUTCOME_COUNTS.get_or_init(outcome_counts);
        let keyed =
            use_cases::dispatch_with_key(&ctx, check, presented, WRITE_SCOPE, job_request, counts, now).await;
        let mut response = match keyed.result {
            Ok(dispatched) => dispatched_response(&dispatched),
            Err(error) => {
                if let Some(code) = problems::storage_refusal(&error) {
                    let key_id = PresentedKey::parse(presented.trim()).map(|key| key.id().to_string());
                    crate::log::storage_cap_reached(key_id.as_deref().unwrap_or(""), code, 1);
                }
                problems::dispatch_error(error, now).into_response()
            }
        };
        if keyed.counted {
            response.extensions_mut().insert(CountedByStore);
        }
        Ok(response)
    }

    async fn list(
        &self,
        request: &Request,
        key: Option<&VerifiedKey>,
        admin: bool,
    ) -> Result<Response, ApiError> {
        let q: ListJobsQuery = query(request)?;
        let list = JobListQuery {
            state: query_param(q.state.as_deref(), JobState::parse)?,
            before_seq: query_param(q.cursor.as_deref(), JobCursor::decode)?.map(|c| c.0),
            size: query_param(q.limit.as_deref(), PageSize::parse)?.unwrap_or_default(),
        };
        let page = use_cases::list_key_jobs(self.jobs, key.map(|k| &k.id), &list).await?;
        let view = |job: &hexaspin_core::job::Job| {
            if admin {
                JobView::for_admin(job)
            } else {
                JobView::of(job)
            }
        };
        let page = Page {
            items: page.items.iter().map(view).collect(),
            next_cursor: page.next_cursor,
        };
        Ok(json(StatusCode::OK, &page))
    }
}

/// The answer to a dispatch that happened: 202 with the new job, or 200 with the original one
/// for a repeated idempotency key.
fn dispatched_response(dispatched: &Dispatched) -> Response {
    let mut response = json(
        dispatched_status(dispatched.duplicate),
        &JobView::of(&dispatched.job),
    );
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&format!("{JOBS_PATH}/{}", dispatched.job.spec.id)) {
        headers.insert(header::LOCATION, location);
    }
    if dispatched.duplicate {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    if let Some(decision) = dispatched.decision {
        problems::rate_limit_headers(headers, &decision);
    }
    response
}

fn dispatched_status(duplicate: bool) -> StatusCode {
    if duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    }
}

/// [`outcome_counts`] and [`access_counts`], worked out once per instance (they never change, and
/// building them serialises six answers).
static OUTCOME_COUNTS: std::sync::OnceLock<OutcomeCounts> = std::sync::OnceLock::new();
static ACCESS_COUNTS: std::sync::OnceLock<AccessCounts> = std::sync::OnceLock::new();

/// What the answer to each outcome a store may settle alone adds to `/metrics`: read off the
/// answers themselves (their status and marked events), so a store that counts in the dispatch
/// adds exactly what [`crate::metrics::requests::count_request`] would have after.
pub fn outcome_counts() -> OutcomeCounts {
    let answer = |outcome: SettledOutcome| -> Response {
        match outcome {
            SettledOutcome::Accepted | SettledOutcome::Duplicate => {
                let mut response = Response::new(Vec::new());
                *response.status_mut() = dispatched_status(outcome == SettledOutcome::Duplicate);
                response
            }
            SettledOutcome::Rejected(reason) => problems::refused(&Decision {
                rejected: Some(reason),
                limit: 1,
                remaining: 0,
                reset_after_us: 1,
                retry_after_us: 1,
            })
            .into_response(),
        }
    };
    OutcomeCounts(
        SettledOutcome::ALL
            .into_iter()
            .map(|outcome| (outcome, counted_series(&answer(outcome))))
            .collect(),
    )
}

/// The series `response` adds one to, each once per one added.
fn counted_series(response: &Response) -> Vec<hexaspin_core::metrics::Series> {
    increments(COMPONENT, response)
        .into_iter()
        .flat_map(|(series, times)| std::iter::repeat_n(series, usize::try_from(times).unwrap_or(0)))
        .collect()
}

/// What the answer to a job's read or cancellation adds to `/metrics`, read off the answers
/// themselves (see [`outcome_counts`]).
pub fn access_counts() -> AccessCounts {
    let mut found = Response::new(Vec::new());
    *found.status_mut() = StatusCode::OK;
    AccessCounts {
        found: counted_series(&found),
        absent: counted_series(&ApiError::not_found().into_response()),
    }
}

/// A dispatch request as the client sent it (body and `Idempotency-Key`), before the domain's
/// validation: malformed input is a problem, never a panic (fuzzed in `fuzz/`).
pub fn parse_dispatch(request: &Request, max_payload_bytes: usize) -> Result<JobRequest, ApiError> {
    let body: DispatchBody = json_body(request, max_payload_bytes + ENVELOPE_BYTES, false)?;
    let idempotency_key = request
        .headers()
        .get("idempotency-key")
        .map(|v| v.to_str().unwrap_or(""));
    job_request(body, idempotency_key)
}

/// One job's request from its JSON body and idempotency key, as far as parsing goes.
fn job_request(body: DispatchBody, idempotency_key: Option<&str>) -> Result<JobRequest, ApiError> {
    Ok(JobRequest {
        kind: body.kind,
        payload: body.payload.to_string(),
        priority: body.priority,
        run_at: body
            .run_at
            .as_deref()
            .map(|t| {
                Timestamp::parse_rfc3339(t)
                    .map_err(|e| hexaspin_core::DomainError::invalid("run_at", e.reason))
            })
            .transpose()?,
        delay_ms: body.delay_ms,
        max_attempts: body.max_attempts,
        timeout_ms: body.timeout_ms,
        idempotency_key: idempotency_key.map(IdempotencyKey::parse).transpose()?,
    })
}

/// The key from `Authorization: Bearer …` or `X-API-Key`, or 401 `missing_api_key`.
fn presented_key_of(request: &Request) -> Result<String, ApiError> {
    presented_key(request).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            "an API key is required (Authorization: Bearer or X-API-Key)",
        )
        .with_header(header::WWW_AUTHENTICATE, "Bearer")
    })
}

/// The key from `Authorization: Bearer …` or `X-API-Key`.
fn presented_key(request: &Request) -> Option<String> {
    let headers = request.headers();
    if let Some(value) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(value.trim().to_owned());
    }
    Bearer::of(headers.get(header::AUTHORIZATION))
        .credential()
        .map(str::to_owned)
}

impl RouteTable for Route {
    const ROUTES: &'static [(&'static str, Self)] = &ROUTES;

    fn allowed_methods(self) -> &'static str {
        match self {
            Route::Jobs => "GET, POST",
            Route::Batch => "POST",
            Route::Job => "GET, DELETE",
            Route::Queues | Route::AdminJobs => "GET",
            Route::AdminJob => "DELETE",
            Route::AdminRetry => "POST",
        }
    }
}

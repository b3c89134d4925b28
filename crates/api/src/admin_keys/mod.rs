//! The admin API for API keys and the audit log (component `admin-keys`).
//!
//! Every route needs an admin JWT. Routes:
//! `POST|GET /api/admin/api-keys`, `GET|PATCH /api/admin/api-keys/{id}`,
//! `POST /api/admin/api-keys/{id}/revoke`, `POST /api/admin/api-keys/{id}/rotate`,
//! `GET /api/admin/audit`.

mod dto;
pub(crate) mod paths;

use hexaspin_core::Timestamp;
use hexaspin_core::admin_auth::{AdminClaims, AuthError, authenticate_admin};
use hexaspin_core::api_key::{ApiKeyId, KeyName, KeyState, Owner, Scopes};
use hexaspin_core::pagination::{AuditCursor, KeyCursor, PageSize};
use hexaspin_core::ports::{ApiKeyStore, AuditLog, Entropy, KeyCache};
use hexaspin_core::use_cases::{self, AdminContext, AuditQuery, KeyChanges, KeyListQuery, NewKey};
use http::{Method, StatusCode, header};

use self::dto::{
    AuditView, CreateKeyBody, CreatedKeyView, EmptyBody, KeyView, ListAuditQuery, ListKeysQuery,
    RotateKeyBody, UpdateKeyBody,
};
use crate::bearer::Bearer;
use crate::body::{MAX_ADMIN_BODY_BYTES, json_body, query, query_param};
use crate::response::{Page, json};
use crate::routing::{RouteTable, method_not_allowed, route_of, router};
use crate::{ApiError, Request, Response};
use hexaspin_config::settings::AdminSettings;

/// Where the key collection lives; `Location` headers point below it.
pub const KEYS_PATH: &str = "/api/admin/api-keys";

#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    Keys,
    Key,
    Revoke,
    Rotate,
    Audit,
}

/// Every route with its path ([`RouteTable::ROUTES`]).
const ROUTES: [(&str, Route); 5] = [
    (KEYS_PATH, Route::Keys),
    ("/api/admin/api-keys/{id}", Route::Key),
    ("/api/admin/api-keys/{id}/revoke", Route::Revoke),
    ("/api/admin/api-keys/{id}/rotate", Route::Rotate),
    ("/api/admin/audit", Route::Audit),
];

/// The admin API over a store, the key cache and a CSPRNG.
pub struct AdminApi<'a, S, C, E> {
    /// Keys and audit log.
    pub store: &'a S,
    /// The key cache every change fences and writes through (the queue store).
    pub cache: &'a C,
    /// Randomness for new keys.
    pub entropy: &'a E,
    /// JWT validation and key hashing.
    pub settings: &'a AdminSettings,
}

impl<S, C, E> AdminApi<'_, S, C, E>
where
    S: ApiKeyStore + AuditLog,
    C: KeyCache,
    E: Entropy,
{
    /// Authenticates and handles one request at `now`. Never panics on client input; every error
    /// is problem+json.
    pub async fn handle(&self, request: &Request, now: Timestamp) -> Response {
        match authenticate(self.settings, request, now) {
            Ok(claims) => self.handle_authenticated(request, &claims, now).await,
            Err(error) => error.into_response(),
        }
    }

    /// Handles a request whose admin token [`authenticate`] already accepted.
    pub async fn handle_authenticated(
        &self,
        request: &Request,
        claims: &AdminClaims,
        now: Timestamp,
    ) -> Response {
        match self.dispatch(request, claims, now).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    }

    async fn dispatch(
        &self,
        request: &Request,
        claims: &AdminClaims,
        now: Timestamp,
    ) -> Result<Response, ApiError> {
        let router = router::<Route>();
        let matched = route_of(&router, request.uri().path())?;
        let route = *matched.value;
        let id = matched.params.get("id").map(ApiKeyId::parse);
        let key_id = || -> Result<ApiKeyId, ApiError> {
            // A malformed id cannot name a key: 404, like any unknown id.
            id.clone().and_then(Result::ok).ok_or_else(ApiError::not_found)
        };
        let ctx = AdminContext {
            store: self.store,
            cache: self.cache,
            entropy: self.entropy,
            hasher: &self.settings.hasher,
            actor: &claims.sub,
            now,
        };
        match (route, request.method()) {
            (Route::Keys, &Method::POST) => self.create(&ctx, request).await,
            (Route::Keys, &Method::GET) => self.list(request, now).await,
            (Route::Key, &Method::GET) => {
                let key = use_cases::get_api_key(self.store, &key_id()?).await?;
                Ok(json(StatusCode::OK, &KeyView::of(&key, now)))
            }
            (Route::Key, &Method::PATCH) => self.update(&ctx, &key_id()?, request).await,
            (Route::Revoke, &Method::POST) => {
                json_body::<EmptyBody>(request, MAX_ADMIN_BODY_BYTES, true)?;
                let key = use_cases::revoke_api_key(&ctx, &key_id()?).await?;
                Ok(json(StatusCode::OK, &KeyView::of(&key, now)))
            }
            (Route::Rotate, &Method::POST) => {
                let body: RotateKeyBody = json_body(request, MAX_ADMIN_BODY_BYTES, true)?;
                let created =
                    use_cases::rotate_api_key(&ctx, &key_id()?, body.grace_seconds.unwrap_or(0)).await?;
                let view = CreatedKeyView {
                    key: created.plaintext,
                    view: KeyView::of(&created.key, now),
                };
                Ok(json(StatusCode::OK, &view))
            }
            (Route::Audit, &Method::GET) => self.audit(request).await,
            (route, _) => Err(method_not_allowed(route)),
        }
    }

    async fn create(&self, ctx: &AdminContext<'_, S, C, E>, request: &Request) -> Result<Response, ApiError> {
        let body: CreateKeyBody = json_body(request, MAX_ADMIN_BODY_BYTES, false)?;
        let new = NewKey {
            name: KeyName::parse(&body.name)?,
            owner: body.owner.as_deref().map(Owner::parse).transpose()?,
            scopes: Scopes::parse(&body.scopes.unwrap_or_default())?,
            expires_at: body.expires_at.as_deref().map(parse_instant).transpose()?,
            remaining: body.remaining,
            refill: body.refill,
            limits: body.limits.unwrap_or_default(),
        };
        let created = use_cases::create_api_key(ctx, new).await?;
        let location = format!("{KEYS_PATH}/{}", created.key.id);
        let view = CreatedKeyView {
            key: created.plaintext,
            view: KeyView::of(&created.key, ctx.now),
        };
        let mut response = json(StatusCode::CREATED, &view);
        if let Ok(value) = http::HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        Ok(response)
    }

    async fn list(&self, request: &Request, now: Timestamp) -> Result<Response, ApiError> {
        let q: ListKeysQuery = query(request)?;
        let list_query = KeyListQuery {
            owner: query_param(q.owner.as_deref(), Owner::parse)?,
            state: query_param(q.state.as_deref(), KeyState::parse)?,
            cursor: query_param(q.cursor.as_deref(), KeyCursor::decode)?,
            size: query_param(q.limit.as_deref(), PageSize::parse)?.unwrap_or_default(),
        };
        let page = use_cases::list_api_keys(self.store, &list_query, now).await?;
        let view = Page {
            items: page.items.iter().map(|key| KeyView::of(key, now)).collect(),
            next_cursor: page.next_cursor,
        };
        Ok(json(StatusCode::OK, &view))
    }

    async fn update(
        &self,
        ctx: &AdminContext<'_, S, C, E>,
        id: &ApiKeyId,
        request: &Request,
    ) -> Result<Response, ApiError> {
        let body: UpdateKeyBody = json_body(request, MAX_ADMIN_BODY_BYTES, false)?;
        let changes = KeyChanges {
            name: body.name.as_deref().map(KeyName::parse).transpose()?,
            scopes: body.scopes.as_deref().map(Scopes::parse).transpose()?,
            limits: body.limits,
            expires_at: body
                .expires_at
                .map(|at| at.as_deref().map(parse_instant).transpose())
                .transpose()?,
            enabled: body.enabled,
        };
        let key = use_cases::update_api_key(ctx, id, changes).await?;
        Ok(json(StatusCode::OK, &KeyView::of(&key, ctx.now)))
    }

    async fn audit(&self, request: &Request) -> Result<Response, ApiError> {
        let q: ListAuditQuery = query(request)?;
        let audit_query = AuditQuery {
            key_id: query_param(q.key_id.as_deref(), ApiKeyId::parse)?,
            cursor: query_param(q.cursor.as_deref(), AuditCursor::decode)?,
            size: query_param(q.limit.as_deref(), PageSize::parse)?.unwrap_or_default(),
        };
        let page = use_cases::list_audit(self.store, &audit_query).await?;
        let view = Page {
            items: page.items.iter().map(AuditView::from).collect(),
            next_cursor: page.next_cursor,
        };
        Ok(json(StatusCode::OK, &view))
    }
}

/// Checks the request's `Authorization: Bearer <admin JWT>`; done before any store is opened, so
/// anonymous requests cost no database connection.
pub fn authenticate(
    settings: &AdminSettings,
    request: &Request,
    now: Timestamp,
) -> Result<AdminClaims, ApiError> {
    authenticate_with(&settings.auth, request, now)
}

/// [`authenticate`] with only the JWT settings.
pub fn authenticate_with(
    auth: &hexaspin_core::admin_auth::AdminAuthConfig,
    request: &Request,
    now: Timestamp,
) -> Result<AdminClaims, ApiError> {
    Ok(authenticate_admin(auth, bearer_token(request)?, now)?)
}

/// The token of `Authorization: Bearer <token>`: `Missing` without the header, `Invalid` when it
/// is not a bearer credential. Shared by the admin and the user routes.
pub(crate) fn bearer_token(request: &Request) -> Result<&str, AuthError> {
    match Bearer::of(request.headers().get(header::AUTHORIZATION)) {
        Bearer::Absent => Err(AuthError::Missing),
        Bearer::OtherScheme => Err(AuthError::Invalid),
        Bearer::Credential(token) => Ok(token),
    }
}

fn parse_instant(text: &str) -> Result<Timestamp, hexaspin_core::DomainError> {
    Timestamp::parse_rfc3339(text).map_err(|e| hexaspin_core::DomainError::invalid("expires_at", e.reason))
}

impl RouteTable for Route {
    const ROUTES: &'static [(&'static str, Self)] = &ROUTES;

    fn allowed_methods(self) -> &'static str {
        match self {
            Route::Keys => "GET, POST",
            Route::Key => "GET, PATCH",
            Route::Revoke | Route::Rotate => "POST",
            Route::Audit => "GET",
        }
    }
}

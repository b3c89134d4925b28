//! The user service's API (component `users`): accounts, sign-in, sessions, and admin views.
//!
//! Routes: `POST /api/users` (sign up), `POST /api/auth/token` (sign in), `POST /api/auth/refresh`,
//! `POST /api/auth/logout`, `GET|PATCH /api/users/me`, `POST /api/users/me/password` (user JWT);
//! `GET /api/admin/users`, `GET|DELETE /api/admin/users/{id}`,
//! `POST /api/admin/users/{id}/disable|enable` (admin JWT).

mod dto;
pub(crate) mod paths;
pub(crate) mod problems;

use hexaspin_config::users::UserSettings;
use hexaspin_core::Timestamp;
use hexaspin_core::admin_auth::AdminAuthConfig;
use hexaspin_core::admin_auth::AuthError;
use hexaspin_core::metrics::Series;
use hexaspin_core::pagination::{PageSize, UserCursor};
use hexaspin_core::ports::{AuditLog, Entropy, RateLimiter, RefreshTokenStore, UserStore};
use hexaspin_core::use_cases::{self, AccountChanges, AccountContext, AccountError, UserListQuery};
use hexaspin_core::user::token::authenticate_user;
use hexaspin_core::user::{AuthenticatedUser, UserAuthError, UserId, UserState};
use http::{Method, StatusCode};

use self::dto::{
    Accepted, ChangePasswordBody, ListUsersQuery, RefreshBody, SignInBody, SignUpBody, TokenView,
    UpdateMeBody, UserView,
};
use crate::admin_keys::{authenticate_with, bearer_token};
use crate::body::{json_body, query, query_param};
use crate::client::client_network;
use crate::metrics::requests::Counted;
use crate::response::{Page, json, no_content};
use crate::routing::{RouteTable, method_not_allowed, route_of, router};
use crate::{ApiError, Request, Response};

/// Largest body the user routes read: a sign-up with the longest fields is well under 2 KiB.
pub const MAX_USER_BODY_BYTES: usize = 8 * 1024;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    SignUp,
    Token,
    Refresh,
    Logout,
    Me,
    MyPassword,
    AdminUsers,
    AdminUser,
    AdminDisable,
    AdminEnable,
}

/// Every route with its path ([`RouteTable::ROUTES`]).
const ROUTES: [(&str, Route); 10] = [
    ("/api/users", Route::SignUp),
    ("/api/auth/token", Route::Token),
    ("/api/auth/refresh", Route::Refresh),
    ("/api/auth/logout", Route::Logout),
    ("/api/users/me", Route::Me),
    ("/api/users/me/password", Route::MyPassword),
    ("/api/admin/users", Route::AdminUsers),
    ("/api/admin/users/{id}", Route::AdminUser),
    ("/api/admin/users/{id}/disable", Route::AdminDisable),
    ("/api/admin/users/{id}/enable", Route::AdminEnable),
];

/// The user service over its stores.
pub struct UsersApi<'a, S, L, E> {
    /// Accounts, refresh tokens and the admin audit log.
    pub store: &'a S,
    /// The attempt buckets: passwords per account and client, sign-ups per client.
    pub limiter: &'a L,
    /// Randomness for ids, salts and tokens.
    pub entropy: &'a E,
    /// Token, session and hashing settings.
    pub settings: &'a UserSettings,
    /// Admin JWT validation, read only when an admin route is asked for (so the user routes never
    /// pay for it); without the admin secret the admin routes answer 500 `server_misconfigured`.
    pub admin_auth: &'a (dyn Fn() -> Result<AdminAuthConfig, ApiError> + Sync),
}

impl<S, L, E> UsersApi<'_, S, L, E>
where
    S: UserStore + RefreshTokenStore + AuditLog,
    L: RateLimiter,
    E: Entropy,
{
    /// Handles one request at `now`. Every error is problem+json.
    pub async fn handle(&self, request: &Request, now: Timestamp) -> Response {
        match self.dispatch(request, now).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        }
    }

    async fn dispatch(&self, request: &Request, now: Timestamp) -> Result<Response, ApiError> {
        let router = router::<Route>();
        let matched = route_of(&router, request.uri().path())?;
        let route = *matched.value;
        let user_id = || -> Result<UserId, ApiError> {
            // A malformed id cannot name a user: 404, like any unknown id.
            matched
                .params
                .get("id")
                .and_then(|id| UserId::parse(id).ok())
                .ok_or_else(ApiError::not_found)
        };
        let ctx = AccountContext {
            store: self.store,
            entropy: self.entropy,
            limiter: self.limiter,
            hasher: &self.settings.hasher,
            auth: &self.settings.auth,
            sessions: self.settings.sessions,
            password_attempts: self.settings.password_attempts,
            sign_ups: self.settings.sign_ups,
            email_changes: self.settings.email_changes,
            client: client_network(&self.settings.client_address, request),
            now,
        };
        match (route, request.method()) {
            (Route::SignUp, &Method::POST) => self.sign_up(&ctx, request).await,
            (Route::Token, &Method::POST) => self.sign_in(&ctx, request).await,
            (Route::Refresh, &Method::POST) => {
                let body: RefreshBody = json_body(request, MAX_USER_BODY_BYTES, false)?;
                let session = use_cases::refresh(&ctx, &body.refresh_token).await?;
                Ok(json(StatusCode::OK, &TokenView::of(&session, now)))
            }
            (Route::Logout, &Method::POST) => {
                let body: RefreshBody = json_body(request, MAX_USER_BODY_BYTES, false)?;
                use_cases::sign_out(self.store, &body.refresh_token, now).await?;
                Ok(no_content())
            }
            (Route::Me, &Method::GET) => {
                let who = self.user(request, now)?;
                let user = use_cases::current_user(self.store, &who).await?;
                Ok(json(StatusCode::OK, &UserView::from(&user)))
            }
            (Route::Me, &Method::PATCH) => {
                let who = self.user(request, now)?;
                let body: UpdateMeBody = json_body(request, MAX_USER_BODY_BYTES, false)?;
                let changes = AccountChanges {
                    email: body.email,
                    display_name: body.display_name,
                    current_password: body.current_password,
                };
                let update = use_cases::update_account(&ctx, &who, changes).await?;
                if update.email_change_requested {
                    // The same answer whether the address was free or taken: no account oracle.
                    return Ok(json(
                        StatusCode::ACCEPTED,
                        &Accepted {
                            status: "accepted",
                            detail: "the address changes if no other account uses it; \
                                     GET /api/users/me shows the account",
                        },
                    ));
                }
                Ok(json(StatusCode::OK, &UserView::from(&update.user)))
            }
            (Route::MyPassword, &Method::POST) => {
                let who = self.user(request, now)?;
                let body: ChangePasswordBody = json_body(request, MAX_USER_BODY_BYTES, false)?;
                let session =
                    use_cases::change_password(&ctx, &who, &body.current_password, &body.new_password)
                        .await?;
                Ok(json(StatusCode::OK, &TokenView::of(&session, now)))
            }
            (Route::AdminUsers, &Method::GET) => {
                self.admin(request, now)?;
                self.list(request).await
            }
            (Route::AdminUser, &Method::GET) => {
                self.admin(request, now)?;
                let user = use_cases::get_user(self.store, &user_id()?).await?;
                Ok(json(StatusCode::OK, &UserView::from(&user)))
            }
            (Route::AdminUser, &Method::DELETE) => {
                let actor = self.admin(request, now)?;
                use_cases::delete_user(self.store, &user_id()?, &actor, now).await?;
                Ok(no_content())
            }
            (Route::AdminDisable | Route::AdminEnable, &Method::POST) => {
                let actor = self.admin(request, now)?;
                let state = match route {
                    Route::AdminDisable => UserState::Disabled,
                    _ => UserState::Active,
                };
                let user = use_cases::set_user_state(self.store, &user_id()?, state, &actor, now).await?;
                Ok(json(StatusCode::OK, &UserView::from(&user)))
            }
            (route, _) => Err(method_not_allowed(route)),
        }
    }

    async fn sign_up(
        &self,
        ctx: &AccountContext<'_, S, E, L>,
        request: &Request,
    ) -> Result<Response, ApiError> {
        let body: SignUpBody = json_body(request, MAX_USER_BODY_BYTES, false)?;
        use_cases::sign_up(ctx, &body.email, &body.password, body.display_name.as_deref()).await?;
        let accepted = Accepted {
            status: "accepted",
            detail: "if this address had no account, it has one now; sign in at /api/auth/token",
        };
        // Counted whether or not the address was new, so that /metrics cannot tell either.
        let mut response = json(StatusCode::ACCEPTED, &accepted);
        response
            .extensions_mut()
            .insert(Counted(vec![Series::user_sign_up()]));
        Ok(response)
    }

    async fn sign_in(
        &self,
        ctx: &AccountContext<'_, S, E, L>,
        request: &Request,
    ) -> Result<Response, ApiError> {
        let body: SignInBody = json_body(request, MAX_USER_BODY_BYTES, false)?;
        match use_cases::sign_in(ctx, &body.email, &body.password).await {
            Ok(session) => {
                let mut response = json(StatusCode::OK, &TokenView::of(&session, ctx.now));
                response
                    .extensions_mut()
                    .insert(Counted(vec![Series::user_sign_in("success")]));
                Ok(response)
            }
            Err(error) => {
                let outcome = match &error {
                    AccountError::InvalidCredentials => Some("invalid_credentials"),
                    AccountError::AccountDisabled => Some("disabled"),
                    AccountError::TooManyAttempts(_) => Some("rate_limited"),
                    _ => None,
                };
                let problem = ApiError::from(error);
                Err(match outcome {
                    Some(outcome) => problem.counting(Series::user_sign_in(outcome)),
                    None => problem,
                })
            }
        }
    }

    async fn list(&self, request: &Request) -> Result<Response, ApiError> {
        let q: ListUsersQuery = query(request)?;
        let list_query = UserListQuery {
            email_contains: q.email.filter(|text| !text.trim().is_empty()),
            state: query_param(q.state.as_deref(), UserState::parse)?,
            cursor: query_param(q.cursor.as_deref(), UserCursor::decode)?,
            size: query_param(q.limit.as_deref(), PageSize::parse)?.unwrap_or_default(),
        };
        let page = use_cases::list_users(self.store, &list_query).await?;
        let view = Page {
            items: page.items.iter().map(UserView::from).collect(),
            next_cursor: page.next_cursor,
        };
        Ok(json(StatusCode::OK, &view))
    }

    /// The user whose access token the request carries.
    fn user(&self, request: &Request, now: Timestamp) -> Result<AuthenticatedUser, ApiError> {
        let token = bearer_token(request).map_err(|error| match error {
            AuthError::Missing => UserAuthError::Missing,
            _ => UserAuthError::Invalid,
        })?;
        Ok(authenticate_user(&self.settings.auth, token, now)?)
    }

    /// The admin (JWT `sub`) the request is from.
    fn admin(&self, request: &Request, now: Timestamp) -> Result<String, ApiError> {
        Ok(authenticate_with(&(self.admin_auth)()?, request, now)?.sub)
    }
}

impl RouteTable for Route {
    const ROUTES: &'static [(&'static str, Self)] = &ROUTES;

    fn allowed_methods(self) -> &'static str {
        match self {
            Route::SignUp | Route::Token | Route::Refresh | Route::Logout | Route::MyPassword => "POST",
            Route::AdminDisable | Route::AdminEnable => "POST",
            Route::Me => "GET, PATCH",
            Route::AdminUsers => "GET",
            Route::AdminUser => "GET, DELETE",
        }
    }
}

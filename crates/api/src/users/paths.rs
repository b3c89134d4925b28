//! The user service's operations as the OpenAPI document describes them, beside the handlers in
//! [`super`]. Each function only carries its `#[utoipa::path]`.

#![allow(dead_code)]

use super::dto::{
    Accepted, ChangePasswordBody, ListUsersQuery, RefreshBody, SignInBody, SignUpBody, TokenView,
    UpdateMeBody, UserView,
};
use crate::openapi::problems::{
    AccountDisabled, AdminAccess, BadQuery, InvalidField, JsonBodyFailures, NotFound, PasswordForbidden,
    RefreshUnauthorized, SignInUnauthorized, StoreFailures, TooManyAttempts, UserConflict, UserUnauthorized,
};
use crate::response::Page;

/// Creates an account. The answer is the same whether or not the address already had one, so
/// sign-up cannot be used to find out who has an account.
#[utoipa::path(
    post, path = "/api/users", tag = "users", operation_id = "signUp",
    request_body(content = SignUpBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Accepted; sign in at /api/auth/token.", body = Accepted),
        JsonBodyFailures,
        (status = 422, response = InvalidField),
        (status = 429, response = TooManyAttempts),
        StoreFailures,
    ),
)]
pub(crate) fn sign_up() {}

/// Signs in with email and password: an access token and a refresh token.
#[utoipa::path(
    post, path = "/api/auth/token", tag = "users", operation_id = "signIn",
    request_body(content = SignInBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed in.", body = TokenView),
        JsonBodyFailures,
        (status = 401, response = SignInUnauthorized),
        (status = 403, response = AccountDisabled),
        (status = 422, response = InvalidField),
        (status = 429, response = TooManyAttempts),
        StoreFailures,
    ),
)]
pub(crate) fn sign_in() {}

/// Trades a refresh token (once) for a new access and refresh token.
#[utoipa::path(
    post, path = "/api/auth/refresh", tag = "users", operation_id = "refreshSession",
    request_body(content = RefreshBody, content_type = "application/json"),
    responses(
        (status = 200, description = "A new pair; the old refresh token no longer works.", body = TokenView),
        JsonBodyFailures,
        (status = 401, response = RefreshUnauthorized),
        (status = 403, response = AccountDisabled),
        (status = 422, response = InvalidField),
        StoreFailures,
    ),
)]
pub(crate) fn refresh() {}

/// Signs out the session a refresh token belongs to (idempotent).
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "users", operation_id = "signOut",
    request_body(content = RefreshBody, content_type = "application/json"),
    responses(
        (status = 204, description = "Signed out."),
        JsonBodyFailures,
        (status = 422, response = InvalidField),
        StoreFailures,
    ),
)]
pub(crate) fn logout() {}

/// The signed-in user's account.
#[utoipa::path(
    get, path = "/api/users/me", tag = "users", operation_id = "getMe",
    security(("user_jwt" = [])),
    responses(
        (status = 200, description = "The account.", body = UserView),
        (status = 401, response = UserUnauthorized),
        (status = 403, response = AccountDisabled),
        StoreFailures,
    ),
)]
pub(crate) fn get_me() {}

/// Changes the signed-in user's display name or email. An email change needs
/// `current_password` (checked like a sign-in, under the same attempt limits) and is answered
/// 202 whether or not another account has the address: the change takes effect only if the
/// address is free, and `GET /api/users/me` shows the result.
#[utoipa::path(
    patch, path = "/api/users/me", tag = "users", operation_id = "updateMe",
    security(("user_jwt" = [])),
    request_body(content = UpdateMeBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The changed account (no email change asked for).", body = UserView),
        (status = 202, description = "An email change was accepted: it took effect if no other account uses the address.", body = Accepted),
        JsonBodyFailures,
        (status = 401, response = UserUnauthorized),
        (status = 403, response = PasswordForbidden),
        (status = 409, response = UserConflict),
        (status = 422, response = InvalidField),
        (status = 429, response = TooManyAttempts),
        StoreFailures,
    ),
)]
pub(crate) fn update_me() {}

/// Changes the password (the current one is needed, checked like a sign-in under the same
/// attempt limits); every session of the account ends, access tokens included, and a new one
/// is returned for the caller.
#[utoipa::path(
    post, path = "/api/users/me/password", tag = "users", operation_id = "changePassword",
    security(("user_jwt" = [])),
    request_body(content = ChangePasswordBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed; a new session.", body = TokenView),
        JsonBodyFailures,
        (status = 401, response = UserUnauthorized),
        (status = 403, response = PasswordForbidden),
        (status = 409, response = UserConflict),
        (status = 422, response = InvalidField),
        (status = 429, response = TooManyAttempts),
        StoreFailures,
    ),
)]
pub(crate) fn change_password() {}

/// Lists accounts, newest first, by email fragment and state, a page at a time.
#[utoipa::path(
    get, path = "/api/admin/users", tag = "users-admin", operation_id = "listUsers",
    security(("admin_jwt" = [])),
    params(ListUsersQuery),
    responses(
        (status = 200, description = "A page of accounts.", body = Page<UserView>),
        (status = 400, response = BadQuery),
        AdminAccess,
        StoreFailures,
    ),
)]
pub(crate) fn list_users() {}

/// Reads one account.
#[utoipa::path(
    get, path = "/api/admin/users/{id}", tag = "users-admin", operation_id = "getUser",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The account's id (`usr_` and 16 hex digits).")),
    responses(
        (status = 200, description = "The account.", body = UserView),
        AdminAccess,
        (status = 404, response = NotFound),
        StoreFailures,
    ),
)]
pub(crate) fn get_user() {}

/// Deletes an account and its sessions (audited).
#[utoipa::path(
    delete, path = "/api/admin/users/{id}", tag = "users-admin", operation_id = "deleteUser",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The account's id.")),
    responses(
        (status = 204, description = "Deleted."),
        AdminAccess,
        (status = 404, response = NotFound),
        StoreFailures,
    ),
)]
pub(crate) fn delete_user() {}

/// Disables an account and signs out its sessions (audited).
#[utoipa::path(
    post, path = "/api/admin/users/{id}/disable", tag = "users-admin", operation_id = "disableUser",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The disabled account.", body = UserView),
        AdminAccess,
        (status = 404, response = NotFound),
        (status = 409, response = UserConflict),
        StoreFailures,
    ),
)]
pub(crate) fn disable_user() {}

/// Enables a disabled account again (audited).
#[utoipa::path(
    post, path = "/api/admin/users/{id}/enable", tag = "users-admin", operation_id = "enableUser",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The account's id.")),
    responses(
        (status = 200, description = "The enabled account.", body = UserView),
        AdminAccess,
        (status = 404, response = NotFound),
        (status = 409, response = UserConflict),
        StoreFailures,
    ),
)]
pub(crate) fn enable_user() {}

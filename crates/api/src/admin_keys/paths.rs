//! The admin API's operations as the OpenAPI document describes them, beside the handlers in
//! [`super`] that answer them. Each function only carries its `#[utoipa::path]`.

#![allow(dead_code)]

use super::dto::{
    AuditView, CreateKeyBody, CreatedKeyView, EmptyBody, KeyView, ListAuditQuery, ListKeysQuery,
    RotateKeyBody, UpdateKeyBody,
};
use crate::openapi::problems::{
    AdminAccess, BadQuery, InvalidField, JsonBodyFailures, KeyConflict, NotFound, StoreFailures,
};
use crate::response::Page;

/// Creates a key; the response holds its secret, shown this once.
#[utoipa::path(
    post, path = "/api/admin/api-keys", tag = "api-keys", operation_id = "createApiKey",
    security(("admin_jwt" = [])),
    request_body(content = CreateKeyBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Created; `key` is the secret, shown this once.", body = CreatedKeyView,
            headers(("Location" = String, description = "The key's URL.")),
            links(
                ("GetApiKey" = (operation_id = "getApiKey", parameters(("id" = "$response.body#/id")))),
                ("UpdateApiKey" = (operation_id = "updateApiKey", parameters(("id" = "$response.body#/id")))),
                ("RevokeApiKey" = (operation_id = "revokeApiKey", parameters(("id" = "$response.body#/id")))),
                ("RotateApiKey" = (operation_id = "rotateApiKey", parameters(("id" = "$response.body#/id")))),
            )),
        JsonBodyFailures,
        AdminAccess,
        (status = 422, response = InvalidField),
        StoreFailures,
    ),
)]
pub(crate) fn create_api_key() {}

/// Lists keys, newest first, by owner and state, a page at a time.
#[utoipa::path(
    get, path = "/api/admin/api-keys", tag = "api-keys", operation_id = "listApiKeys",
    security(("admin_jwt" = [])),
    params(ListKeysQuery),
    responses(
        (status = 200, description = "A page of keys.", body = Page<KeyView>),
        (status = 400, response = BadQuery),
        AdminAccess,
        StoreFailures,
    ),
)]
pub(crate) fn list_api_keys() {}

/// Reads one key (never its secret).
#[utoipa::path(
    get, path = "/api/admin/api-keys/{id}", tag = "api-keys", operation_id = "getApiKey",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The key's id (16 hex digits).")),
    responses(
        (status = 200, description = "The key.", body = KeyView),
        AdminAccess,
        (status = 404, response = NotFound),
        StoreFailures,
    ),
)]
pub(crate) fn get_api_key() {}

/// Changes a key's name, scopes, limits, expiry or enabled flag; absent fields stay.
#[utoipa::path(
    patch, path = "/api/admin/api-keys/{id}", tag = "api-keys", operation_id = "updateApiKey",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The key's id (16 hex digits).")),
    request_body(content = UpdateKeyBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The key as changed.", body = KeyView),
        JsonBodyFailures,
        AdminAccess,
        (status = 404, response = NotFound),
        (status = 409, response = KeyConflict),
        (status = 422, response = InvalidField),
        StoreFailures,
    ),
)]
pub(crate) fn update_api_key() {}

/// Revokes a key: it stops verifying on the next request. Revoking twice is a no-op, also at
/// the same time; a revoke is applied over a change made in between (409 `concurrent_update` only
/// when the key keeps changing under it).
#[utoipa::path(
    post, path = "/api/admin/api-keys/{id}/revoke", tag = "api-keys", operation_id = "revokeApiKey",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The key's id (16 hex digits).")),
    request_body(content = Option<EmptyBody>, content_type = "application/json",
        description = "Nothing, or `{}`."),
    responses(
        (status = 200, description = "The revoked key.", body = KeyView),
        JsonBodyFailures,
        AdminAccess,
        (status = 404, response = NotFound),
        (status = 409, response = KeyConflict),
        (status = 422, response = InvalidField),
        StoreFailures,
    ),
)]
pub(crate) fn revoke_api_key() {}

/// Gives a key a new secret; the old one keeps verifying for `grace_seconds`.
#[utoipa::path(
    post, path = "/api/admin/api-keys/{id}/rotate", tag = "api-keys", operation_id = "rotateApiKey",
    security(("admin_jwt" = [])),
    params(("id" = String, Path, description = "The key's id (16 hex digits).")),
    request_body(content = Option<RotateKeyBody>, content_type = "application/json",
        description = "Optional; without it the old secret stops at once."),
    responses(
        (status = 200, description = "The key with its new secret, shown this once.", body = CreatedKeyView),
        JsonBodyFailures,
        AdminAccess,
        (status = 404, response = NotFound),
        (status = 409, response = KeyConflict),
        (status = 422, response = InvalidField),
        StoreFailures,
    ),
)]
pub(crate) fn rotate_api_key() {}

/// The audit log of admin actions, newest first.
#[utoipa::path(
    get, path = "/api/admin/audit", tag = "api-keys", operation_id = "listAudit",
    security(("admin_jwt" = [])),
    params(ListAuditQuery),
    responses(
        (status = 200, description = "A page of audit entries.", body = Page<AuditView>),
        (status = 400, response = BadQuery),
        AdminAccess,
        StoreFailures,
    ),
)]
pub(crate) fn list_audit() {}

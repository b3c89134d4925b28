//! Admin operations on end users' accounts: list, read, disable, enable, delete. Every change is
//! audited in the admin audit log (by user id, never by email).

use serde_json::json;

use crate::Timestamp;
use crate::audit::{AuditAction, NewAuditEntry};
use crate::pagination::{Page, PageSize, UserCursor};
use crate::ports::{AuditLog, RefreshTokenStore, StoreError, UserFilter, UserStore};
use crate::user::{User, UserId, UserState};

/// Why an admin operation on a user failed.
#[derive(Debug, thiserror::Error)]
pub enum UserAdminError {
    /// No such user.
    #[error("no user with that id")]
    NotFound,
    /// The account changed between read and write.
    #[error("the account was changed concurrently; retry")]
    ConcurrentUpdate,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct UserListQuery {
    /// Only emails containing this (case-insensitive).
    pub email_contains: Option<String>,
    /// Only this state.
    pub state: Option<UserState>,
    /// Continue after this cursor.
    pub cursor: Option<UserCursor>,
    /// Page size.
    pub size: PageSize,
}

/// One page of users, newest first.
pub async fn list_users<S: UserStore>(
    store: &S,
    query: &UserListQuery,
) -> Result<Page<User>, UserAdminError> {
    let filter = UserFilter {
        email_contains: query
            .email_contains
            .as_deref()
            .map(|text| text.trim().to_lowercase()),
        state: query.state,
        after: query.cursor.clone(),
        limit: query.size.get() + 1,
    };
    let fetched = store.list_users(&filter).await?;
    Ok(Page::from_overfetch(fetched, query.size, |user| {
        UserCursor {
            created_at: user.created_at,
            id: user.id.clone(),
        }
        .encode()
    }))
}

/// One user.
pub async fn get_user<S: UserStore>(store: &S, id: &UserId) -> Result<User, UserAdminError> {
    store.find_user(id).await?.ok_or(UserAdminError::NotFound)
}

/// Sets a user's state; disabling also signs out every session. Setting the current state again
/// changes nothing and writes no audit entry.
pub async fn set_user_state<S>(
    store: &S,
    id: &UserId,
    state: UserState,
    actor: &str,
    now: Timestamp,
) -> Result<User, UserAdminError>
where
    S: UserStore + RefreshTokenStore + AuditLog,
{
    let current = get_user(store, id).await?;
    if current.state == state {
        return Ok(current);
    }
    let mut updated = current.clone();
    updated.state = state;
    updated.version = current.version + 1;
    updated.updated_at = now;
    if !store.update_user(&updated, current.version).await? {
        return Err(UserAdminError::ConcurrentUpdate);
    }
    let signed_out = if state == UserState::Disabled {
        store.revoke_user_refresh(id, now).await?
    } else {
        0
    };
    let action = match state {
        UserState::Disabled => AuditAction::UserDisabled,
        UserState::Active => AuditAction::UserEnabled,
    };
    audit(
        store,
        action,
        actor,
        now,
        json!({ "user_id": id.as_str(), "sessions_revoked": signed_out }),
    )
    .await?;
    Ok(updated)
}

/// Deletes a user and their refresh tokens.
pub async fn delete_user<S>(store: &S, id: &UserId, actor: &str, now: Timestamp) -> Result<(), UserAdminError>
where
    S: UserStore + AuditLog,
{
    if !store.delete_user(id).await? {
        return Err(UserAdminError::NotFound);
    }
    audit(
        store,
        AuditAction::UserDeleted,
        actor,
        now,
        json!({ "user_id": id.as_str() }),
    )
    .await
}

async fn audit<S: AuditLog>(
    store: &S,
    action: AuditAction,
    actor: &str,
    now: Timestamp,
    detail: serde_json::Value,
) -> Result<(), UserAdminError> {
    let entry = NewAuditEntry {
        at: now,
        actor: actor.to_owned(),
        action,
        key_id: None,
        detail,
    };
    store.append_audit(&entry).await.map_err(Into::into)
}

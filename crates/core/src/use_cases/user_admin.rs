//! Admin operations on end users' accounts: list, read, disable, enable, delete. Every change is
//! audited in the admin audit log (by user id, never by email), in the same transaction as the
//! change.

use serde_json::json;

use crate::Timestamp;
use crate::audit::{AuditAction, NewAuditEntry};
use crate::pagination::{Page, PageSize, UserCursor};
use crate::ports::{RefreshTokenStore, StoreError, UserFilter, UserStore};
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

/// Sets a user's state; disabling also ends every session (access tokens included: the session
/// epoch moves on in the same write). Setting the current state again changes nothing and writes
/// no audit entry.
pub async fn set_user_state<S: UserStore + RefreshTokenStore>(
    store: &S,
    id: &UserId,
    state: UserState,
    actor: &str,
    now: Timestamp,
) -> Result<User, UserAdminError> {
    let current = get_user(store, id).await?;
    if current.state == state {
        return Ok(current);
    }
    let mut updated = current.clone();
    updated.state = state;
    updated.version = current.version + 1;
    updated.updated_at = now;
    let (action, sessions_ended) = match state {
        UserState::Disabled => {
            updated.session_epoch = current.session_epoch + 1;
            (AuditAction::UserDisabled, true)
        }
        UserState::Active => (AuditAction::UserEnabled, false),
    };
    let entry = audit_entry(
        action,
        actor,
        now,
        json!({ "user_id": id.as_str(), "sessions_ended": sessions_ended }),
    );
    if !store.update_user(&updated, current.version, Some(&entry)).await? {
        return Err(UserAdminError::ConcurrentUpdate);
    }
    if sessions_ended {
        // The epoch ends them for this release; the release before it reads only each token's
        // revocation, and must not bring them back after a rollback once the account is enabled.
        store.revoke_user_tokens(id, now).await?;
    }
    Ok(updated)
}

/// Deletes a user, their sessions and refresh tokens.
pub async fn delete_user<S: UserStore>(
    store: &S,
    id: &UserId,
    actor: &str,
    now: Timestamp,
) -> Result<(), UserAdminError> {
    let entry = audit_entry(
        AuditAction::UserDeleted,
        actor,
        now,
        json!({ "user_id": id.as_str() }),
    );
    if !store.delete_user(id, &entry).await? {
        return Err(UserAdminError::NotFound);
    }
    Ok(())
}

fn audit_entry(action: AuditAction, actor: &str, now: Timestamp, detail: serde_json::Value) -> NewAuditEntry {
    NewAuditEntry {
        at: now,
        actor: actor.to_owned(),
        action,
        key_id: None,
        detail,
    }
}

//! Ports for the user service: accounts and refresh tokens.

use super::StoreError;
use crate::Timestamp;
use crate::pagination::UserCursor;
use crate::user::{Email, RefreshFamilyId, RefreshTokenHash, StoredRefreshToken, User, UserId, UserState};

/// What to list: filters optional, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFilter {
    /// Only users whose email contains this text (already lowercased).
    pub email_contains: Option<String>,
    /// Only users in this state.
    pub state: Option<UserState>,
    /// Only users after this cursor (creation time, then id).
    pub after: Option<UserCursor>,
    /// At most this many.
    pub limit: u32,
}

/// Storage of accounts.
pub trait UserStore {
    /// Stores a new account; `Conflict` if its id or email is taken.
    async fn insert_user(&self, user: &User) -> Result<(), StoreError>;

    /// The account with this id.
    async fn find_user(&self, id: &UserId) -> Result<Option<User>, StoreError>;

    /// The account with this (normalised) email.
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;

    /// Replaces the account if it still has `expected_version`; `false` if it changed or is gone.
    /// `Conflict` if the new email is another account's.
    async fn update_user(&self, user: &User, expected_version: i64) -> Result<bool, StoreError>;

    /// Deletes the account and its refresh tokens; `false` if there was none.
    async fn delete_user(&self, id: &UserId) -> Result<bool, StoreError>;

    /// Accounts matching `filter`, newest first (by creation, then id).
    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, StoreError>;
}

/// What using a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// It was live: now retired; here is what it was.
    Used(StoredRefreshToken),
    /// It had been used (or revoked) before: a replay. Its family is named so it can be revoked.
    Reused {
        /// The family to revoke.
        family: RefreshFamilyId,
        /// Whose it was.
        user_id: UserId,
    },
    /// Unknown or past its expiry.
    Unknown,
}

/// Storage of refresh tokens (hashes only).
pub trait RefreshTokenStore {
    /// Stores a new live token.
    async fn insert_refresh(&self, token: &StoredRefreshToken) -> Result<(), StoreError>;

    /// Retires the token with `hash` if it is live at `now`, atomically: of two concurrent uses
    /// exactly one gets [`RefreshUse::Used`].
    async fn use_refresh(&self, hash: &RefreshTokenHash, now: Timestamp) -> Result<RefreshUse, StoreError>;

    /// Revokes every token of a family at `now`; returns how many were still live.
    async fn revoke_family(&self, family: &RefreshFamilyId, now: Timestamp) -> Result<u64, StoreError>;

    /// Revokes every token of a user at `now` (password change, disable); returns how many were live.
    async fn revoke_user_refresh(&self, user: &UserId, now: Timestamp) -> Result<u64, StoreError>;

    /// Deletes a user's tokens that expired by `now` (used, revoked or not): past their expiry a
    /// token is refused as unknown anyway, so nothing is lost; returns how many went.
    async fn purge_expired_refresh(&self, user: &UserId, now: Timestamp) -> Result<u64, StoreError>;
}

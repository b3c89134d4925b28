//! Ports for the user service: accounts and refresh tokens.

use super::StoreError;
use crate::Timestamp;
use crate::audit::NewAuditEntry;
use crate::pagination::UserCursor;
use crate::user::{
    Email, RefreshFamily, RefreshFamilyId, RefreshTokenHash, StoredRefreshToken, User, UserId, UserState,
};

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

    /// Replaces the account (its session epoch included) if it still has `expected_version`;
    /// `false` if it changed or is gone. `Conflict` if the new email is another account's. With
    /// `audit`, the entry is appended in the same transaction: both are stored or neither.
    async fn update_user(
        &self,
        user: &User,
        expected_version: i64,
        audit: Option<&NewAuditEntry>,
    ) -> Result<bool, StoreError>;

    /// Deletes the account, its sessions and refresh tokens, and appends `audit` in the same
    /// transaction; `false` (and no entry) if there was no such account.
    async fn delete_user(&self, id: &UserId, audit: &NewAuditEntry) -> Result<bool, StoreError>;

    /// Accounts matching `filter`, newest first (by creation, then id).
    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, StoreError>;
}

/// What using a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshUse {
    /// It was live and its family open: now retired; here is what it was.
    Used {
        /// The token as it was stored.
        token: StoredRefreshToken,
        /// When its family ends (a successor may not outlive it).
        family_ends_at: Timestamp,
        /// The session epoch its family was opened in (the successor's access token carries it).
        family_epoch: i64,
    },
    /// It had been used (or revoked) before: a replay. Its family is named so it can be revoked.
    Reused {
        /// The family to revoke.
        family: RefreshFamilyId,
        /// Whose it was.
        user_id: UserId,
    },
    /// Unknown, past its expiry, or its family has ended (revoked, past its absolute end, or
    /// the account's sessions were ended since).
    Unknown,
}

/// Storage of sign-in sessions: refresh token families and their tokens (hashes only).
///
/// A family is *open* while it is not revoked, its absolute end is ahead, and its account is
/// active and still at the family's session epoch. Every method that could give a session life
/// checks that in the same statement that writes, so nothing that ends sessions (a password
/// change, a disable, a replay detected) can be slipped past by a request in flight.
pub trait RefreshTokenStore {
    /// Opens `family` if its account is active and at `family.session_epoch` (checked in the
    /// same statement); `false` if not (the account changed since it was read).
    async fn open_family(&self, family: &RefreshFamily) -> Result<bool, StoreError>;

    /// Stores a new live token if its family is open at `token.issued_at` (checked in the same
    /// statement); `false` if it is not.
    async fn insert_refresh(&self, token: &StoredRefreshToken) -> Result<bool, StoreError>;

    /// Retires the token with `hash` if it is live and its family open at `now`, atomically: of
    /// two concurrent uses exactly one gets [`RefreshUse::Used`]. A token stored without a family
    /// (by a version before families, during a rollout or after a rollback) first joins one at its
    /// account's current epoch, ending 30 days after it was issued.
    async fn use_refresh(&self, hash: &RefreshTokenHash, now: Timestamp) -> Result<RefreshUse, StoreError>;

    /// Revokes a family at `now`: none of its tokens works again (they are marked revoked too,
    /// for versions that predate families); `false` if it was already revoked or is unknown.
    async fn revoke_family(&self, family: &RefreshFamilyId, now: Timestamp) -> Result<bool, StoreError>;

    /// Marks every live token of `user` revoked at `now`. The session epoch is what ends them in
    /// this version; the mark is what versions before the `0002_sessions` migration read, so that
    /// rolling back across it brings no ended session back.
    async fn revoke_user_tokens(&self, user: &UserId, now: Timestamp) -> Result<(), StoreError>;

    /// Deletes a user's tokens that expired by `now` (used, revoked or not) and families that
    /// ended by then: past that, a token is refused as unknown anyway, so nothing is lost.
    async fn purge_expired_refresh(&self, user: &UserId, now: Timestamp) -> Result<(), StoreError>;
}

//! [`PausingStore`]: the user service's store with a hook that holds one call at a chosen step
//! until the test lets it go, so that races between two requests (a refresh and a password
//! change, say) are driven deterministically instead of hoped for.

use std::sync::Mutex;

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::ApiKeyId;
use hexaspin_core::audit::{AuditEntry, NewAuditEntry};
use hexaspin_core::pagination::AuditCursor;
use hexaspin_core::ports::{AuditLog, RefreshTokenStore, RefreshUse, StoreError, UserFilter, UserStore};
use hexaspin_core::user::{
    Email, RefreshFamily, RefreshFamilyId, RefreshTokenHash, StoredRefreshToken, User, UserId,
};
use tokio::sync::Notify;

/// The calls a pause can be placed before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Before a refresh family is opened (a sign-in has checked the password).
    OpenFamily,
    /// Before a refresh token is stored (a refresh has used its token).
    InsertRefresh,
}

/// Delegates to `S`; the next call at the armed [`Step`] waits for [`release`](Self::release).
pub struct PausingStore<'a, S> {
    inner: &'a S,
    armed: Mutex<Option<Step>>,
    reached: Notify,
    released: Notify,
}

impl<'a, S> PausingStore<'a, S> {
    /// Pauses the next call at `step`.
    pub fn new(inner: &'a S, step: Step) -> Self {
        Self {
            inner,
            armed: Mutex::new(Some(step)),
            reached: Notify::new(),
            released: Notify::new(),
        }
    }

    /// Resolves once a call is being held at the step.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets the held call go on.
    pub fn release(&self) {
        self.released.notify_one();
    }

    async fn maybe_pause(&self, step: Step) {
        let hit = {
            let mut armed = self.armed.lock().expect("lock");
            let hit = *armed == Some(step);
            if hit {
                *armed = None;
            }
            hit
        };
        if hit {
            self.reached.notify_one();
            self.released.notified().await;
        }
    }
}

impl<S: UserStore> UserStore for PausingStore<'_, S> {
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        self.inner.insert_user(user).await
    }

    async fn find_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        self.inner.find_user(id).await
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        self.inner.find_user_by_email(email).await
    }

    async fn update_user(
        &self,
        user: &User,
        expected_version: i64,
        audit: Option<&NewAuditEntry>,
    ) -> Result<bool, StoreError> {
        self.inner.update_user(user, expected_version, audit).await
    }

    async fn delete_user(&self, id: &UserId, audit: &NewAuditEntry) -> Result<bool, StoreError> {
        self.inner.delete_user(id, audit).await
    }

    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, StoreError> {
        self.inner.list_users(filter).await
    }
}

impl<S: RefreshTokenStore> RefreshTokenStore for PausingStore<'_, S> {
    async fn open_family(&self, family: &RefreshFamily) -> Result<bool, StoreError> {
        self.maybe_pause(Step::OpenFamily).await;
        self.inner.open_family(family).await
    }

    async fn insert_refresh(&self, token: &StoredRefreshToken) -> Result<bool, StoreError> {
        self.maybe_pause(Step::InsertRefresh).await;
        self.inner.insert_refresh(token).await
    }

    async fn use_refresh(&self, hash: &RefreshTokenHash, now: Timestamp) -> Result<RefreshUse, StoreError> {
        self.inner.use_refresh(hash, now).await
    }

    async fn revoke_family(&self, family: &RefreshFamilyId, now: Timestamp) -> Result<bool, StoreError> {
        self.inner.revoke_family(family, now).await
    }

    async fn purge_expired_refresh(&self, user: &UserId, now: Timestamp) -> Result<(), StoreError> {
        self.inner.purge_expired_refresh(user, now).await
    }

    async fn revoke_user_tokens(&self, user: &UserId, now: Timestamp) -> Result<(), StoreError> {
        self.inner.revoke_user_tokens(user, now).await
    }
}

impl<S: AuditLog> AuditLog for PausingStore<'_, S> {
    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        self.inner.append_audit(entry).await
    }

    async fn list_audit(
        &self,
        key_id: Option<&ApiKeyId>,
        before: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.list_audit(key_id, before, limit).await
    }
}

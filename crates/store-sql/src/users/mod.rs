//! The user service's ports ([`UserStore`], [`RefreshTokenStore`]) on [`SqlStore`], with the
//! statements in `queries/<dialect>/users/*.sql`.

mod codec;
mod queries;

use hexaspin_core::Timestamp;
use hexaspin_core::audit::NewAuditEntry;
use hexaspin_core::ports::{RefreshTokenStore, RefreshUse, StoreError, UserFilter, UserStore};
use hexaspin_core::user::{
    Email, RefreshFamily, RefreshFamilyId, RefreshTokenHash, StoredRefreshToken, User, UserId,
};

use self::codec::{
    family_params, refresh_from_row, refresh_params, user_from_row, user_params, user_update_params,
};
pub use self::queries::UserQueries;
use crate::audited::audited;
use crate::value::Columns;
use crate::{SqlExecutor, SqlStore, SqlValue, TransactionalExecutor};

impl<E: SqlExecutor> SqlStore<E> {
    fn user_queries(&self) -> &'static UserQueries {
        UserQueries::of(self.executor().dialect())
    }

    async fn rows(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<crate::value::Row>, StoreError> {
        self.executor().query(sql, params).await
    }
}

fn text(value: &str) -> SqlValue {
    SqlValue::Text(value.to_owned())
}

impl<E: TransactionalExecutor> UserStore for SqlStore<E> {
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        self.rows(self.user_queries().insert_user, &user_params(user))
            .await
            .map(drop)
    }

    async fn find_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let rows = self
            .rows(self.user_queries().find_user, &[text(id.as_str())])
            .await?;
        rows.first().map(|row| user_from_row(row)).transpose()
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let rows = self
            .rows(self.user_queries().find_user_by_email, &[text(email.as_str())])
            .await?;
        rows.first().map(|row| user_from_row(row)).transpose()
    }

    async fn update_user(
        &self,
        user: &User,
        expected_version: i64,
        audit: Option<&NewAuditEntry>,
    ) -> Result<bool, StoreError> {
        let params = user_update_params(user, expected_version);
        let update = self.user_queries().update_user;
        let rows = match audit {
            Some(entry) => audited(self.executor(), &[(update, &params)], entry).await?,
            None => self.rows(update, &params).await?,
        };
        Ok(!rows.is_empty())
    }

    async fn delete_user(&self, id: &UserId, audit: &NewAuditEntry) -> Result<bool, StoreError> {
        let queries = self.user_queries();
        let id = [text(id.as_str())];
        // Sessions first: Postgres also cascades, SQLite (whose foreign keys are off by default)
        // does not. The account's own delete decides whether the entry is written.
        let statements = [
            (queries.delete_user_refresh, &id[..]),
            (queries.delete_user_families, &id[..]),
            (queries.delete_user, &id[..]),
        ];
        let rows = audited(self.executor(), &statements, audit).await?;
        Ok(!rows.is_empty())
    }

    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>, StoreError> {
        let params = [
            SqlValue::from(filter.email_contains.as_deref()),
            SqlValue::from(filter.state.map(|s| s.as_str())),
            SqlValue::from(filter.after.as_ref().map(|c| c.created_at.as_millis())),
            SqlValue::from(filter.after.as_ref().map(|c| c.id.as_str())),
            SqlValue::Int(i64::from(filter.limit)),
        ];
        let rows = self.rows(self.user_queries().list_users, &params).await?;
        rows.iter().map(|row| user_from_row(row)).collect()
    }
}

impl<E: SqlExecutor> RefreshTokenStore for SqlStore<E> {
    async fn open_family(&self, family: &RefreshFamily) -> Result<bool, StoreError> {
        let rows = self
            .rows(self.user_queries().open_family, &family_params(family))
            .await?;
        Ok(!rows.is_empty())
    }

    async fn insert_refresh(&self, token: &StoredRefreshToken) -> Result<bool, StoreError> {
        let rows = self
            .rows(self.user_queries().insert_refresh, &refresh_params(token))
            .await?;
        Ok(!rows.is_empty())
    }

    async fn use_refresh(&self, hash: &RefreshTokenHash, now: Timestamp) -> Result<RefreshUse, StoreError> {
        self.rows(self.user_queries().adopt_orphan_token, &[text(hash.as_str())])
            .await?;
        let params = [text(hash.as_str()), SqlValue::Int(now.as_millis())];
        let rows = self.rows(self.user_queries().use_refresh, &params).await?;
        if let Some(row) = rows.first() {
            let family = Columns::new(row);
            return Ok(RefreshUse::Used {
                token: refresh_from_row(row)?,
                family_ends_at: Timestamp::from_millis(family.int(5)?),
                family_epoch: family.int(6)?,
            });
        }
        let rows = self
            .rows(self.user_queries().find_refresh, &[text(hash.as_str())])
            .await?;
        let Some(row) = rows.first() else {
            return Ok(RefreshUse::Unknown);
        };
        let columns = Columns::new(row);
        if !columns.bool(2)? {
            // Revoked or expired without ever being used: not a replay.
            return Ok(RefreshUse::Unknown);
        }
        Ok(RefreshUse::Reused {
            family: RefreshFamilyId::from_stored(columns.text(0)?),
            user_id: UserId::parse(&columns.text(1)?)
                .map_err(|e| StoreError::Corrupt(format!("refresh token user: {e}")))?,
        })
    }

    async fn revoke_family(&self, family: &RefreshFamilyId, now: Timestamp) -> Result<bool, StoreError> {
        let params = [text(family.as_str()), SqlValue::Int(now.as_millis())];
        let rows = self.rows(self.user_queries().revoke_family, &params).await?;
        self.rows(self.user_queries().revoke_family_tokens, &params)
            .await?;
        Ok(!rows.is_empty())
    }

    async fn revoke_user_tokens(&self, user: &UserId, now: Timestamp) -> Result<(), StoreError> {
        let params = [text(user.as_str()), SqlValue::Int(now.as_millis())];
        self.rows(self.user_queries().revoke_user_tokens, &params)
            .await
            .map(drop)
    }

    async fn purge_expired_refresh(&self, user: &UserId, now: Timestamp) -> Result<(), StoreError> {
        let params = [text(user.as_str()), SqlValue::Int(now.as_millis())];
        self.rows(self.user_queries().purge_expired_refresh, &params)
            .await?;
        self.rows(self.user_queries().purge_ended_families, &params)
            .await
            .map(drop)
    }
}

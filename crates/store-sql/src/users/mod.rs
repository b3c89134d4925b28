//! The user service's ports ([`UserStore`], [`RefreshTokenStore`]) on [`SqlStore`], with the
//! statements in `queries/<dialect>/users/*.sql`.

mod codec;
mod queries;

use hexaspin_core::Timestamp;
use hexaspin_core::ports::{RefreshTokenStore, RefreshUse, StoreError, UserFilter, UserStore};
use hexaspin_core::user::{Email, RefreshFamilyId, RefreshTokenHash, StoredRefreshToken, User, UserId};

use self::codec::{refresh_from_row, refresh_params, user_from_row, user_params};
pub use self::queries::UserQueries;
use crate::value::Columns;
use crate::{SqlExecutor, SqlStore, SqlValue};

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

impl<E: SqlExecutor> UserStore for SqlStore<E> {
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

    async fn update_user(&self, user: &User, expected_version: i64) -> Result<bool, StoreError> {
        let mut params = user_params(user);
        // insert order minus created_at (index 5), then the expected version.
        params.remove(5);
        params.push(SqlValue::Int(expected_version));
        let rows = self.rows(self.user_queries().update_user, &params).await?;
        Ok(!rows.is_empty())
    }

    async fn delete_user(&self, id: &UserId) -> Result<bool, StoreError> {
        // Tokens first: Postgres also cascades, SQLite (whose foreign keys are off by default) does not.
        self.rows(self.user_queries().delete_user_refresh, &[text(id.as_str())])
            .await?;
        let rows = self
            .rows(self.user_queries().delete_user, &[text(id.as_str())])
            .await?;
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
    async fn insert_refresh(&self, token: &StoredRefreshToken) -> Result<(), StoreError> {
        self.rows(self.user_queries().insert_refresh, &refresh_params(token))
            .await
            .map(drop)
    }

    async fn use_refresh(&self, hash: &RefreshTokenHash, now: Timestamp) -> Result<RefreshUse, StoreError> {
        let params = [text(hash.as_str()), SqlValue::Int(now.as_millis())];
        let rows = self.rows(self.user_queries().use_refresh, &params).await?;
        if let Some(row) = rows.first() {
            return Ok(RefreshUse::Used(refresh_from_row(row)?));
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

    async fn revoke_family(&self, family: &RefreshFamilyId, now: Timestamp) -> Result<u64, StoreError> {
        let params = [text(family.as_str()), SqlValue::Int(now.as_millis())];
        let rows = self.rows(self.user_queries().revoke_family, &params).await?;
        Ok(rows.len() as u64)
    }

    async fn purge_expired_refresh(&self, user: &UserId, now: Timestamp) -> Result<u64, StoreError> {
        let params = [text(user.as_str()), SqlValue::Int(now.as_millis())];
        let rows = self
            .rows(self.user_queries().purge_expired_refresh, &params)
            .await?;
        Ok(rows.len() as u64)
    }

    async fn revoke_user_refresh(&self, user: &UserId, now: Timestamp) -> Result<u64, StoreError> {
        let params = [text(user.as_str()), SqlValue::Int(now.as_millis())];
        let rows = self
            .rows(self.user_queries().revoke_user_refresh, &params)
            .await?;
        Ok(rows.len() as u64)
    }
}

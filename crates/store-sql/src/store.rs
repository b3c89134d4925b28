//! [`SqlStore`]: the core's store ports over any [`SqlExecutor`].

use hexaspin_core::Timestamp;
use hexaspin_core::api_key::{ApiKey, ApiKeyId, KeyState, Owner};
use hexaspin_core::audit::{AuditEntry, NewAuditEntry};
use hexaspin_core::pagination::AuditCursor;
use hexaspin_core::ports::{ApiKeyStore, AuditLog, KeyFilter, StoreError, UseCharge, UsePeriods};

use crate::audited::audited;
use crate::codec::{audit_from_row, audit_params, key_from_row, key_params, key_update_params};
use crate::queries::Queries;
use crate::value::Columns;
use crate::{SqlExecutor, SqlValue, TransactionalExecutor};

/// hexaspin's stores on one SQL database.
#[derive(Debug, Clone)]
pub struct SqlStore<E> {
    executor: E,
}

impl<E: SqlExecutor> SqlStore<E> {
    /// A store running its statements on `executor`.
    pub fn new(executor: E) -> Self {
        Self { executor }
    }

    /// The executor, e.g. to run migrations on it.
    pub fn executor(&self) -> &E {
        &self.executor
    }

    /// Gives the executor back.
    pub fn into_executor(self) -> E {
        self.executor
    }

    /// One cheap round trip: does the database answer?
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.executor.query(self.queries().ping, &[]).await.map(drop)
    }

    fn queries(&self) -> &'static Queries {
        Queries::of(self.executor.dialect())
    }
}

impl<E: TransactionalExecutor> ApiKeyStore for SqlStore<E> {
    async fn insert_key(&self, key: &ApiKey, audit: &NewAuditEntry) -> Result<(), StoreError> {
        let params = key_params(key);
        audited(&self.executor, &[(self.queries().insert_key, &params)], audit)
            .await
            .map(drop)
    }

    async fn find_key(&self, id: &ApiKeyId) -> Result<Option<ApiKey>, StoreError> {
        let rows = self
            .executor
            .query(self.queries().find_key, &[SqlValue::Text(id.to_string())])
            .await?;
        rows.first().map(|row| key_from_row(row)).transpose()
    }

    async fn list_keys(&self, filter: &KeyFilter, now: Timestamp) -> Result<Vec<ApiKey>, StoreError> {
        let params = [
            SqlValue::from(filter.owner.as_ref().map(Owner::as_str)),
            SqlValue::from(filter.state.map(|s| s.as_str())),
            SqlValue::Int(now.as_millis()),
            SqlValue::from(filter.after.as_ref().map(|c| c.created_at.as_millis())),
            SqlValue::from(filter.after.as_ref().map(|c| c.id.as_str())),
            SqlValue::Int(i64::from(filter.limit)),
        ];
        let rows = self.executor.query(self.queries().list_keys, &params).await?;
        rows.iter().map(|row| key_from_row(row)).collect()
    }

    async fn update_key(
        &self,
        key: &ApiKey,
        expected_version: i64,
        audit: &NewAuditEntry,
    ) -> Result<bool, StoreError> {
        let params = key_update_params(key, expected_version);
        let rows = audited(&self.executor, &[(self.queries().update_key, &params)], audit).await?;
        Ok(!rows.is_empty())
    }

    async fn consume_use(&self, id: &ApiKeyId, periods: &UsePeriods) -> Result<UseCharge, StoreError> {
        let params = [
            SqlValue::Text(id.to_string()),
            SqlValue::Int(periods.day_start.as_millis()),
            SqlValue::Int(periods.month_start.as_millis()),
            SqlValue::Int(periods.now.as_millis()),
        ];
        let rows = self.executor.query(self.queries().consume_use, &params).await?;
        if let Some(row) = rows.first() {
            let remaining = Columns::new(row).opt_u64(0)?.unwrap_or(0);
            return Ok(UseCharge::Charged { remaining });
        }
        let budget = self
            .executor
            .query(self.queries().key_has_budget, &[SqlValue::Text(id.to_string())])
            .await?;
        match budget.first().map(|row| Columns::new(row).bool(0)).transpose()? {
            Some(false) => Ok(UseCharge::Unlimited),
            Some(true) | None => Ok(UseCharge::Exhausted),
        }
    }

    async fn refund_use(&self, id: &ApiKeyId) -> Result<(), StoreError> {
        self.executor
            .query(self.queries().refund_use, &[SqlValue::Text(id.to_string())])
            .await
            .map(drop)
    }

    async fn count_keys(&self, now: Timestamp) -> Result<Vec<(KeyState, u64)>, StoreError> {
        let rows = self
            .executor
            .query(self.queries().count_keys, &[SqlValue::Int(now.as_millis())])
            .await?;
        let mut counts: Vec<(KeyState, u64)> = KeyState::ALL.iter().map(|&state| (state, 0)).collect();
        for row in &rows {
            let columns = Columns::new(row);
            let state = KeyState::parse(&columns.text(0)?)
                .map_err(|e| StoreError::Corrupt(format!("key state count: {}", e.reason)))?;
            let count = u64::try_from(columns.int(1)?)
                .map_err(|_| StoreError::Corrupt("a negative key count".into()))?;
            if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
                slot.1 = count;
            }
        }
        Ok(counts)
    }
}

impl<E: SqlExecutor> AuditLog for SqlStore<E> {
    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        self.executor
            .query(self.queries().append_audit, &audit_params(entry))
            .await
            .map(drop)
    }

    async fn list_audit(
        &self,
        key_id: Option<&ApiKeyId>,
        before: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let params = [
            SqlValue::from(key_id.map(ApiKeyId::as_str)),
            SqlValue::from(before.map(|c| c.0)),
            SqlValue::Int(i64::from(limit)),
        ];
        let rows = self.executor.query(self.queries().list_audit, &params).await?;
        rows.iter().map(|row| audit_from_row(row)).collect()
    }
}

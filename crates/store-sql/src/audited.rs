//! A change and its audit entry in one transaction: both are stored or neither, so the audit log
//! cannot miss a change (and never records one that did not happen).

use hexaspin_core::audit::NewAuditEntry;
use hexaspin_core::ports::StoreError;

use crate::codec::audit_params;
use crate::queries::Queries;
use crate::value::Row;
use crate::{SqlTransaction, SqlValue, TransactionalExecutor};

/// One statement of a change.
pub(crate) type Statement<'a> = (&'a str, &'a [SqlValue]);

/// Runs `statements` in one transaction; when the last one returns a row (the change happened),
/// appends `entry` too. The last statement's rows are returned; a failure anywhere, the audit
/// insert included, rolls everything back.
pub(crate) async fn audited<E: TransactionalExecutor>(
    executor: &E,
    statements: &[Statement<'_>],
    entry: &NewAuditEntry,
) -> Result<Vec<Row>, StoreError> {
    let transaction = executor.begin_write().await?;
    let mut rows = Vec::new();
    for (sql, params) in statements {
        rows = transaction.query(sql, params).await?;
    }
    if !rows.is_empty() {
        let append = Queries::of(executor.dialect()).append_audit;
        transaction.query(append, &audit_params(entry)).await?;
    }
    transaction.commit().await?;
    Ok(rows)
}

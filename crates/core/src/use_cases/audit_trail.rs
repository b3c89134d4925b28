//! Reading the audit log.

use super::AdminError;
use crate::api_key::ApiKeyId;
use crate::audit::AuditEntry;
use crate::pagination::{AuditCursor, Page, PageSize};
use crate::ports::AuditLog;

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only entries about this key.
    pub key_id: Option<ApiKeyId>,
    /// Continue after this cursor.
    pub cursor: Option<AuditCursor>,
    /// Page size.
    pub size: PageSize,
}

/// One page of the audit log, newest first.
pub async fn list_audit<S: AuditLog>(store: &S, query: &AuditQuery) -> Result<Page<AuditEntry>, AdminError> {
    let fetched = store
        .list_audit(query.key_id.as_ref(), query.cursor, query.size.get() + 1)
        .await?;
    Ok(Page::from_overfetch(fetched, query.size, |entry| {
        AuditCursor(entry.seq).encode()
    }))
}

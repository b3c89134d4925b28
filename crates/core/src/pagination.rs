//! Keyset pagination: opaque cursors and page sizes.
//!
//! Cursors are base64url of a position, not an offset, so pages stay stable while rows are added.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::api_key::ApiKeyId;
use crate::{DomainError, Timestamp};

/// How many items a page holds: 1–200, 50 unless asked otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    /// The default size.
    pub const DEFAULT: Self = Self(50);
    const MAX: u32 = 200;

    /// Parses `?limit=`.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        match text.parse::<u32>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(n)),
            _ => Err(DomainError::invalid(
                "limit",
                format!("must be a whole number from 1 to {}", Self::MAX),
            )),
        }
    }

    /// The size.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One page of results and the cursor for the next, if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in list order.
    pub items: Vec<T>,
    /// Pass as `?cursor=` to get the next page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts `fetched` (asked for with `size + 1`) to a page, with a cursor when there was more.
    pub fn from_overfetch(mut fetched: Vec<T>, size: PageSize, cursor_of: impl Fn(&T) -> String) -> Self {
        let more = fetched.len() > size.get() as usize;
        fetched.truncate(size.get() as usize);
        let next_cursor = if more { fetched.last().map(cursor_of) } else { None };
        Self {
            items: fetched,
            next_cursor,
        }
    }
}

/// Position in the key list (newest first): the last key seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCursor {
    /// Its creation instant.
    pub created_at: Timestamp,
    /// Its id, breaking ties.
    pub id: ApiKeyId,
}

impl KeyCursor {
    /// The opaque form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("k:{}:{}", self.created_at.as_millis(), self.id))
    }

    /// Parses the opaque form.
    pub fn decode(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::invalid("cursor", "is not a cursor this list gave out");
        let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        let mut parts = raw.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("k"), Some(millis), Some(id)) => Ok(Self {
                created_at: Timestamp::from_millis(millis.parse().map_err(|_| invalid())?),
                id: ApiKeyId::parse(id).map_err(|_| invalid())?,
            }),
            _ => Err(invalid()),
        }
    }
}

/// Position in the user list (newest first): the last user seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCursor {
    /// Its creation instant.
    pub created_at: Timestamp,
    /// Its id, breaking ties.
    pub id: crate::user::UserId,
}

impl UserCursor {
    /// The opaque form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("u:{}:{}", self.created_at.as_millis(), self.id))
    }

    /// Parses the opaque form.
    pub fn decode(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::invalid("cursor", "is not a cursor this list gave out");
        let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        match raw.splitn(3, ':').collect::<Vec<_>>()[..] {
            ["u", millis, id] => Ok(Self {
                created_at: Timestamp::from_millis(millis.parse().map_err(|_| invalid())?),
                id: crate::user::UserId::parse(id).map_err(|_| invalid())?,
            }),
            _ => Err(invalid()),
        }
    }
}

/// Position in the audit log (newest first): the last sequence number seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor(pub i64);

impl AuditCursor {
    /// The opaque form.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("a:{}", self.0))
    }

    /// Parses the opaque form.
    pub fn decode(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::invalid("cursor", "is not a cursor this list gave out");
        let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        let seq = raw.strip_prefix("a:").ok_or_else(invalid)?;
        seq.parse().map(Self).map_err(|_| invalid())
    }
}

/// Position in a job list (newest first): the sequence number of the last job seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobCursor(pub i64);

impl JobCursor {
    /// The opaque form.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("j:{}", self.0))
    }

    /// Parses the opaque form.
    pub fn decode(text: &str) -> Result<Self, DomainError> {
        let invalid = || DomainError::invalid("cursor", "is not a cursor this list gave out");
        let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        let seq = raw.strip_prefix("j:").ok_or_else(invalid)?;
        seq.parse().map(Self).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_foreign_text() {
        let cursor = KeyCursor {
            created_at: Timestamp::from_millis(42),
            id: ApiKeyId::from_random([5; 8]),
        };
        assert_eq!(KeyCursor::decode(&cursor.encode()).unwrap(), cursor);
        assert_eq!(
            AuditCursor::decode(&AuditCursor(9).encode()).unwrap(),
            AuditCursor(9)
        );
        assert!(KeyCursor::decode(&AuditCursor(9).encode()).is_err());
        assert!(AuditCursor::decode("not base64!").is_err());
    }

    #[test]
    fn a_page_has_a_cursor_only_when_more_items_exist() {
        let size = PageSize::parse("2").unwrap();
        let page = Page::from_overfetch(vec![1, 2, 3], size, |n| n.to_string());
        assert_eq!(page.items, [1, 2]);
        assert_eq!(page.next_cursor.as_deref(), Some("2"));
        let last = Page::from_overfetch(vec![1, 2], size, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }

    #[test]
    fn page_sizes_outside_the_range_are_rejected() {
        for bad in ["0", "201", "-1", "ten"] {
            assert!(PageSize::parse(bad).is_err(), "{bad}");
        }
    }
}

//! The account record.

use std::fmt;

use super::{Email, PasswordHash};
use crate::{DomainError, Timestamp};

/// `usr_` and 16 lowercase hex digits (64 random bits): safe to show, log and put in a JWT `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    const PREFIX: &'static str = "usr_";

    /// Parses an id from a URL or a token's `sub`.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let well_formed = text
            .strip_prefix(Self::PREFIX)
            .is_some_and(|hex| is_lower_hex(hex, 16));
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::invalid(
                "id",
                "must be usr_ and 16 lowercase hex digits",
            ))
        }
    }

    /// An id from 8 random bytes.
    pub fn from_random(bytes: [u8; 8]) -> Self {
        Self(format!("{}{}", Self::PREFIX, hex::encode(bytes)))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `text` is exactly `len` lowercase hex digits (how ids and tokens are written).
pub(crate) fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the user wants to be called: 1–100 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Parses and trims a name.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(DomainError::invalid("display_name", "must not be empty"));
        }
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(DomainError::invalid(
                "display_name",
                "must be at most 100 characters",
            ));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                "display_name",
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether the account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserState {
    /// Signs in normally.
    Active,
    /// Disabled by an admin: cannot sign in or refresh; its sessions ended.
    Disabled,
}

impl UserState {
    /// Both states.
    pub const ALL: [Self; 2] = [Self::Active, Self::Disabled];

    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }

    /// Parses a stored or requested state.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
            .ok_or_else(|| DomainError::invalid("state", "must be active or disabled"))
    }
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Sign-in name, unique.
    pub email: Email,
    /// Optional name to show.
    pub display_name: Option<DisplayName>,
    /// Argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// Active or disabled.
    pub state: UserState,
    /// When it signed up.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Bumped by every change; updates name the version they read (optimistic locking).
    pub version: i64,
    /// Bumped to end every session at once (password change, disable): a refresh family, and an
    /// access token, is only good while it carries the account's current epoch.
    pub session_epoch: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_id_from_random_bytes_parses_back_and_foreign_ids_do_not() {
        let id = UserId::from_random([0xab; 8]);
        assert_eq!(id.as_str(), "usr_abababababababab");
        assert_eq!(UserId::parse(id.as_str()).unwrap(), id);
        for bad in [
            "",
            "abababababababab",
            "usr_ABABABABABABABAB",
            "usr_abab",
            "key_abababababababab",
        ] {
            assert!(UserId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse(" ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse("a\u{7}b").is_err());
    }
}

//! Refresh tokens: opaque, random, stored only as a SHA-256 hash, rotated on every use.
//!
//! Every token belongs to a family (one sign-in). Using a token retires it and issues its
//! successor in the same family; presenting a retired token again means it was copied, so the
//! whole family is revoked (OAuth 2.0 Security BCP, RFC 9700 §4.14.2). A leaked token is thus good
//! for at most one use before both thief and owner are signed out.
//!
//! A family lives at most until its absolute end, however often it is refreshed, and only while
//! its account is active and still at the session epoch the family was opened in: a password
//! change or a disable bumps the epoch and so ends every family at once, including a successor
//! being issued at that very moment (the stores check the family in the same statement that
//! uses or inserts a token).

use std::fmt;

use sha2::{Digest, Sha256};

use super::UserId;
use crate::{DomainError, Timestamp};

/// Random bytes in a token: 256 bits, so guessing is hopeless and the hash needs no salt.
pub const REFRESH_TOKEN_BYTES: usize = 32;
const PREFIX: &str = "hxr_";

/// A refresh token as the client holds it: `hxr_` and 64 hex digits. Never stored, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

impl RefreshToken {
    /// A new token from random bytes.
    pub fn from_random(bytes: [u8; REFRESH_TOKEN_BYTES]) -> Self {
        Self(format!("{PREFIX}{}", hex::encode(bytes)))
    }

    /// Parses a token a client presented.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let well_formed = text
            .strip_prefix(PREFIX)
            .is_some_and(|hex| super::model::is_lower_hex(hex, 2 * REFRESH_TOKEN_BYTES));
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::invalid("refresh_token", "is not a refresh token"))
        }
    }

    /// The text to give the client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps and looks the token up by.
    pub fn hash(&self) -> RefreshTokenHash {
        RefreshTokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

/// SHA-256 of a refresh token, hex: the stored lookup key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefreshTokenHash(String);

impl RefreshTokenHash {
    /// A stored hash read back.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A family: all tokens descending from one sign-in. 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefreshFamilyId(String);

impl RefreshFamilyId {
    /// A family id from random bytes.
    pub fn from_random(bytes: [u8; 8]) -> Self {
        Self(hex::encode(bytes))
    }

    /// A stored family id read back.
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A family as stored: one sign-in's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    /// Its id.
    pub id: RefreshFamilyId,
    /// The user the family's tokens sign in.
    pub user_id: UserId,
    /// The account's session epoch when it was opened; the family ends when the epoch moves on.
    pub session_epoch: i64,
    /// When it was opened (the sign-in).
    pub created_at: Timestamp,
    /// When it ends however often it is refreshed (the absolute session lifetime).
    pub ends_at: Timestamp,
}

/// A token as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRefreshToken {
    /// Lookup key.
    pub hash: RefreshTokenHash,
    /// Its family.
    pub family: RefreshFamilyId,
    /// The user the token signs in.
    pub user_id: UserId,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it stops working even unused.
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_parses_back_and_hashes_to_a_stable_lookup_key() {
        let token = RefreshToken::from_random([0x5a; REFRESH_TOKEN_BYTES]);
        let parsed = RefreshToken::parse(token.expose()).unwrap();
        assert_eq!(parsed.hash(), token.hash());
        assert_eq!(token.hash().as_str().len(), 64);
        assert_ne!(token.hash().as_str(), &token.expose()[4..]);
        assert!(!format!("{token:?}").contains("5a5a"));
    }

    #[test]
    fn things_that_are_not_refresh_tokens_are_refused() {
        let upper = format!("hxr_{}", "A".repeat(64));
        for bad in [
            "",
            "hxr_",
            "hxr_abc",
            upper.as_str(),
            "eyJhbGciOiJIUzI1NiJ9.e30.sig",
        ] {
            assert!(RefreshToken::parse(bad).is_err(), "{bad:?}");
        }
    }
}

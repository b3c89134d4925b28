//! The public, non-secret identifier embedded in every key.

use std::fmt;

use crate::DomainError;

/// 16 lowercase hex digits (64 random bits): the lookup id of a key, safe to show and log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiKeyId(String);

impl ApiKeyId {
    /// Length of an id in characters.
    pub const LEN: usize = 16;

    /// Parses an id as found in a URL or a presented key.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let well_formed = text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::invalid("id", "must be 16 lowercase hex digits"))
        }
    }

    /// An id from 8 random bytes.
    pub fn from_random(bytes: [u8; 8]) -> Self {
        Self(hex::encode(bytes))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_from_random_bytes_parses_back() {
        let id = ApiKeyId::from_random([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]);
        assert_eq!(id.as_str(), "deadbeef00010203");
        assert_eq!(ApiKeyId::parse(id.as_str()).unwrap(), id);
    }

    #[test]
    fn ids_of_the_wrong_length_or_alphabet_are_rejected() {
        for bad in [
            "",
            "deadbeef",
            "DEADBEEF00010203",
            "deadbeef0001020g",
            "deadbeef000102030",
        ] {
            assert!(ApiKeyId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}

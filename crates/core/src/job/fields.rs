//! The validated fields of a job.

use std::fmt;

use crate::DomainError;

/// 32 lowercase hex digits (128 random bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(String);

impl JobId {
    /// Parses an id from a URL or a store.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let valid = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::invalid("id", "must be 32 lowercase hex digits"))
        }
    }

    /// An id from 16 random bytes.
    pub fn from_random(bytes: [u8; 16]) -> Self {
        Self(hex::encode(bytes))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which handler runs the job: 1–64 characters of `a-z 0-9 . _ -`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKind(String);

impl JobKind {
    /// Parses a kind name.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let bytes = text.as_bytes();
        let valid = (1..=64).contains(&bytes.len())
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b));
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::invalid(
                "kind",
                "must be 1-64 characters of a-z 0-9 . _ -",
            ))
        }
    }

    /// The kind as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 0 runs first, 9 last; 5 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(u8);

impl Priority {
    /// The default priority.
    pub const DEFAULT: Self = Self(5);

    /// Checks the range.
    pub fn new(value: i64) -> Result<Self, DomainError> {
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= 9)
            .map(Self)
            .ok_or_else(|| DomainError::invalid("priority", "must be a whole number from 0 to 9"))
    }

    /// The number.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How many times a job may run: 1–25, 3 by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxAttempts(u32);

impl MaxAttempts {
    /// The default.
    pub const DEFAULT: Self = Self(3);

    /// Checks the range.
    pub fn new(value: i64) -> Result<Self, DomainError> {
        u32::try_from(value)
            .ok()
            .filter(|v| (1..=25).contains(v))
            .map(Self)
            .ok_or_else(|| DomainError::invalid("max_attempts", "must be a whole number from 1 to 25"))
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for MaxAttempts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How long one attempt may run: 100 ms to 15 min, 30 s by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTimeout(u32);

impl JobTimeout {
    /// The default.
    pub const DEFAULT: Self = Self(30_000);

    /// Checks the range (milliseconds).
    pub fn from_millis(value: i64) -> Result<Self, DomainError> {
        u32::try_from(value)
            .ok()
            .filter(|v| (100..=900_000).contains(v))
            .map(Self)
            .ok_or_else(|| DomainError::invalid("timeout_ms", "must be from 100 to 900000"))
    }

    /// The timeout in milliseconds.
    pub fn as_millis(self) -> u32 {
        self.0
    }
}

impl Default for JobTimeout {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A client's `Idempotency-Key`: 1–255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses the header value.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let valid = (1..=255).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::invalid(
                "Idempotency-Key",
                "must be 1-255 visible ASCII characters",
            ))
        }
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_accept_their_ranges_and_nothing_else() {
        assert!(JobKind::parse("echo").is_ok());
        assert!(JobKind::parse("web.hook_2").is_ok());
        for bad in ["", "-x", "Echo", "a b", &"x".repeat(65)] {
            assert!(JobKind::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Priority::new(0).unwrap().get(), 0);
        assert!(Priority::new(10).is_err() && Priority::new(-1).is_err());
        assert!(MaxAttempts::new(0).is_err() && MaxAttempts::new(26).is_err());
        assert!(JobTimeout::from_millis(99).is_err() && JobTimeout::from_millis(900_001).is_err());
        assert!(IdempotencyKey::parse("order-42").is_ok());
        assert!(IdempotencyKey::parse("has space").is_err() && IdempotencyKey::parse("").is_err());
        let id = JobId::from_random([0xab; 16]);
        assert_eq!(JobId::parse(id.as_str()).unwrap(), id);
        assert!(JobId::parse("abc").is_err());
    }
}

//! The descriptive fields of a key, each a type that can only hold a valid value.

use serde::Serialize;

use crate::DomainError;

const MAX_NAME_CHARS: usize = 100;
const MAX_OWNER_CHARS: usize = 200;
const MAX_SCOPES: usize = 32;
const MAX_SCOPE_CHARS: usize = 64;

/// A human label for a key: 1–100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct KeyName(String);

impl KeyName {
    /// Parses a name.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        bounded_text("name", text, MAX_NAME_CHARS).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who a key belongs to (a tenant, a user, a team): 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Owner(String);

impl Owner {
    /// Parses an owner.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        bounded_text("owner", text, MAX_OWNER_CHARS).map(Self)
    }

    /// The owner.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn bounded_text(field: &'static str, text: &str, max_chars: usize) -> Result<String, DomainError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

/// What a key may do, e.g. `jobs:write`: a sorted set of up to 32 scopes made of `a-z 0-9 : . _ -`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a list of scopes; duplicates collapse.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, DomainError> {
        if items.len() > MAX_SCOPES {
            return Err(DomainError::invalid(
                "scopes",
                format!("must hold at most {MAX_SCOPES} entries"),
            ));
        }
        let mut scopes = Vec::with_capacity(items.len());
        for item in items {
            let scope = item.as_ref();
            let valid = !scope.is_empty()
                && scope.len() <= MAX_SCOPE_CHARS
                && scope
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b":._-".contains(&b));
            if !valid {
                return Err(DomainError::invalid(
                    "scopes",
                    format!("entries must be 1-{MAX_SCOPE_CHARS} characters of a-z 0-9 : . _ -"),
                ));
            }
            scopes.push(scope.to_owned());
        }
        scopes.sort();
        scopes.dedup();
        Ok(Self(scopes))
    }

    /// Whether `scope` is granted.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// The scopes, sorted.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(KeyName::parse("  ci bot ").unwrap().as_str(), "ci bot");
        assert!(KeyName::parse("   ").is_err());
        assert!(KeyName::parse(&"x".repeat(101)).is_err());
        assert!(KeyName::parse("bell\u{7}").is_err());
        assert!(Owner::parse(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn scopes_are_sorted_deduplicated_and_checked() {
        let scopes = Scopes::parse(&["jobs:write", "jobs:read", "jobs:write"]).unwrap();
        assert_eq!(scopes.as_slice(), ["jobs:read", "jobs:write"]);
        assert!(scopes.contains("jobs:read"));
        assert!(!scopes.contains("admin"));
        assert!(Scopes::parse(&["Jobs"]).is_err());
        assert!(Scopes::parse(&[""]).is_err());
        assert!(Scopes::parse(&vec!["a"; 33]).is_err());
    }
}

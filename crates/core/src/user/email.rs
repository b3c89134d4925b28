//! Email addresses as sign-in names.

use std::fmt;

use crate::DomainError;

/// The longest address SMTP can carry (RFC 5321 §4.5.3.1.3).
pub const MAX_EMAIL_LEN: usize = 254;

/// An email address, normalised so that one mailbox has one account: trimmed and lowercased
/// (the local part too: providers that treat `Bob@` and `bob@` as two mailboxes are vanishingly
/// rare, users who type both are not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses and normalises `text`: one `@`, a non-empty local part, a domain with a dot and no
    /// empty label, no spaces or control characters, at most [`MAX_EMAIL_LEN`] bytes.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let normalised = text.trim().to_lowercase();
        let invalid = |reason: &str| DomainError::invalid("email", reason.to_owned());
        if normalised.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if normalised.len() > MAX_EMAIL_LEN {
            return Err(invalid("must be at most 254 bytes"));
        }
        if normalised.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("must not contain spaces or control characters"));
        }
        let Some((local, domain)) = normalised.split_once('@') else {
            return Err(invalid("must contain an @"));
        };
        if local.is_empty() || domain.contains('@') {
            return Err(invalid("must be one local part, an @ and a domain"));
        }
        let labels_ok = domain.contains('.') && domain.split('.').all(|label| !label.is_empty());
        if !labels_ok {
            return Err(invalid("must have a domain such as example.com"));
        }
        Ok(Self(normalised))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, e.g. to keep it out of a password.
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(self.0.as_str(), |(local, _)| local)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased_so_one_mailbox_is_one_account() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
        assert_eq!(email.local_part(), "ada.lovelace");
        assert_eq!(Email::parse("ADA.LOVELACE@example.com").unwrap(), email);
    }

    #[test]
    fn malformed_addresses_are_refused_with_the_field_named() {
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "   ",
            "ada",
            "@example.com",
            "ada@",
            "ada@localhost",
            "ada@@x.io",
            "a b@x.io",
            "ada@x..io",
            long.as_str(),
        ] {
            let error = Email::parse(bad).expect_err(bad);
            assert_eq!(error.field, "email", "{bad:?}");
        }
    }
}

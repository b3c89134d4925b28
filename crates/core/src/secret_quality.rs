//! Refuses secrets that are long enough but not secret: the example placeholders from the docs and
//! manifests (`CHANGE_ME_TO_32_OR_MORE_RANDOM_BYTES` passes any length check) and low-entropy
//! strings such as a repeated character or a short word repeated.
//!
//! The rule is deliberately simple and explainable to an operator: at least the field's minimum
//! length, at least [`MIN_DISTINCT_BYTES`] different bytes, and none of the words the examples use
//! for "fill this in". Why 10 and not 16 different bytes: a random hex secret uses only 16 byte
//! values, and `openssl rand -hex 32` (64 digits) misses at least one of them about one time in
//! four, while it has fewer than 10 different digits with a probability near 10⁻¹²; the example
//! `test-pepper-test-pepper-test-pepper!` has 7.

use crate::DomainError;

/// Fewest different byte values a secret must contain.
pub const MIN_DISTINCT_BYTES: usize = 10;

/// Words that mark a value as an unfilled example, compared without case, `_`, `-` or spaces.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "changeme",
    "replaceme",
    "placeholder",
    "example",
    "yoursecret",
    "secrethere",
    "insertsecret",
    "todo",
    "fixme",
];

/// Checks `secret` (setting `field`) against the rules above; the error never contains the value.
pub fn check_secret(field: &'static str, secret: &[u8], min_bytes: usize) -> Result<(), DomainError> {
    if secret.len() < min_bytes {
        return Err(DomainError::invalid(
            field,
            format!("must be at least {min_bytes} bytes long"),
        ));
    }
    if let Some(marker) = placeholder_marker(secret) {
        return Err(DomainError::invalid(
            field,
            format!(
                "looks like a placeholder (contains \"{marker}\"); generate one, e.g. `openssl rand -hex 32`"
            ),
        ));
    }
    let mut seen = [false; 256];
    for &byte in secret {
        seen[usize::from(byte)] = true;
    }
    let distinct = seen.iter().filter(|&&s| s).count();
    if distinct < MIN_DISTINCT_BYTES {
        return Err(DomainError::invalid(
            field,
            format!(
                "has too little entropy ({distinct} different bytes, at least {MIN_DISTINCT_BYTES} needed); generate one, e.g. `openssl rand -hex 32`"
            ),
        ));
    }
    Ok(())
}

/// Checks the password of a connection URL (`scheme://user:password@host/...`, setting `field`):
/// a password copied from the example manifests (`CHANGE_ME`) is refused like a placeholder
/// secret. A URL without a password passes: trust or TLS-client authentication is the operator's
/// choice. The error never contains the URL.
pub fn check_url_password(field: &'static str, url: &str) -> Result<(), DomainError> {
    let Some(password) = url_password(url) else {
        return Ok(());
    };
    match placeholder_marker(password.as_bytes()) {
        Some(marker) => Err(DomainError::invalid(
            field,
            format!("has a placeholder password (contains \"{marker}\"); set the real one"),
        )),
        None => Ok(()),
    }
}

/// The password in the authority of `url`, if it has one.
fn url_password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    // The user information ends at the authority's last '@': a password may contain '@'.
    let (user_info, _) = authority.rsplit_once('@')?;
    let (_, password) = user_info.split_once(':')?;
    Some(password)
}

/// The placeholder word `value` contains, compared without case, `_`, `-` or spaces.
fn placeholder_marker(value: &[u8]) -> Option<&'static str> {
    let folded: Vec<u8> = value
        .iter()
        .filter(|b| !matches!(b, b'_' | b'-' | b' '))
        .map(u8::to_ascii_lowercase)
        .collect();
    PLACEHOLDER_MARKERS
        .iter()
        .find(|marker| folded.windows(marker.len()).any(|w| w == marker.as_bytes()))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM_HEX: &[u8] = b"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn a_random_hex_secret_is_accepted() {
        assert_eq!(check_secret("jwt_secret", RANDOM_HEX, 32), Ok(()));
    }

    #[test]
    fn the_placeholders_of_the_examples_are_refused_whatever_their_spelling() {
        for placeholder in [
            "CHANGE_ME_TO_32_OR_MORE_RANDOM_BYTES",
            "change-me-0123456789abcdefghijklmnopqrstuvwxyz",
            "Replace Me With 0123456789abcdefghijklmnopqrstuvwxyz",
            "example-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        ] {
            let err = check_secret("key_pepper", placeholder.as_bytes(), 32).unwrap_err();
            assert_eq!(err.field, "key_pepper");
            assert!(err.reason.contains("placeholder"), "{placeholder}: {err}");
        }
    }

    #[test]
    fn a_long_secret_with_few_different_bytes_is_refused() {
        for weak in [
            &[b'a'; 64][..],
            b"abcabcabcabcabcabcabcabcabcabcabcabc",
            b"test-pepper-test-pepper-test-pepper!",
        ] {
            let err = check_secret("key_pepper", weak, 32).unwrap_err();
            assert!(err.reason.contains("too little entropy"), "{err}");
        }
    }

    #[test]
    fn a_short_secret_is_refused_for_its_length_first() {
        let err = check_secret("jwt_secret", b"hunter2", 32).unwrap_err();
        assert_eq!(err.reason, "must be at least 32 bytes long");
    }

    #[test]
    fn the_error_never_contains_the_secret() {
        let secret = b"CHANGE_ME_0123456789abcdefghijklmnopq";
        let err = check_secret("jwt_secret", secret, 32).unwrap_err();
        assert!(!err.to_string().contains("0123456789"), "{err}");
    }

    #[test]
    fn a_connection_url_with_the_example_password_is_refused() {
        let err = check_url_password(
            "pg_url",
            "postgres://hexaspin:CHANGE_ME@postgres.hexaspin.svc.cluster.local:5432/hexaspin",
        )
        .unwrap_err();
        assert!(err.reason.contains("placeholder password"), "{err}");
        assert!(!err.to_string().contains("hexaspin.svc"), "{err}");
        assert!(check_url_password("redis_url", "redis://:change-me@redis:6379/0").is_err());
    }

    #[test]
    fn a_connection_url_with_a_real_password_or_none_is_accepted() {
        for url in [
            "postgres://app:9f86d081884c7d65@db.example.com:5432/app",
            "postgres://app@db:5432/app?sslmode=require",
            "redis://redis:6379/0",
            "rediss://:p%40ss@w0rd@cache:6380",
            "postgres://app:s3cret@db/app?password_hint=changeme",
        ] {
            assert_eq!(check_url_password("pg_url", url), Ok(()), "{url}");
        }
    }
}

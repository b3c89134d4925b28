//! `Authorization: Bearer <credential>` (RFC 6750), read one way for every route that takes a
//! bearer credential: admin and user JWTs, API keys and the metrics token.

use http::HeaderValue;

/// What an `Authorization` header holds, as far as a bearer credential goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bearer<'a> {
    /// No `Authorization` header.
    Absent,
    /// A header that holds no bearer credential: another scheme, no space after the scheme, or
    /// not text. (`Bearer ` with nothing after it is an empty [`Bearer::Credential`], refused
    /// by whatever checks it.)
    OtherScheme,
    /// The credential, trimmed.
    Credential(&'a str),
}

impl<'a> Bearer<'a> {
    /// Reads the request's `Authorization` header value, if it has one. The scheme is
    /// case-insensitive, as RFC 9110 says of every authentication scheme.
    pub(crate) fn of(authorization: Option<&'a HeaderValue>) -> Self {
        let Some(value) = authorization else {
            return Bearer::Absent;
        };
        let Ok(text) = value.to_str() else {
            return Bearer::OtherScheme;
        };
        match text.split_once(' ') {
            Some((scheme, credential)) if scheme.eq_ignore_ascii_case("bearer") => {
                Bearer::Credential(credential.trim())
            }
            _ => Bearer::OtherScheme,
        }
    }

    /// The credential, if there is one.
    pub(crate) fn credential(self) -> Option<&'a str> {
        match self {
            Bearer::Credential(credential) => Some(credential),
            Bearer::Absent | Bearer::OtherScheme => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> Bearer<'_> {
        Bearer::of(Some(Box::leak(Box::new(HeaderValue::from_str(value).unwrap()))))
    }

    #[test]
    fn a_bearer_credential_is_read_whatever_the_case_of_its_scheme() {
        assert_eq!(read("Bearer abc"), Bearer::Credential("abc"));
        assert_eq!(read("bearer  abc "), Bearer::Credential("abc"));
        assert_eq!(read("BEARER abc"), Bearer::Credential("abc"));
    }

    #[test]
    fn another_scheme_or_no_credential_is_not_a_bearer_credential() {
        assert_eq!(Bearer::of(None), Bearer::Absent);
        assert_eq!(read("Basic dXNlcjpwYXNz"), Bearer::OtherScheme);
        assert_eq!(read("Bearer"), Bearer::OtherScheme);
        assert_eq!(read("Bearerabc"), Bearer::OtherScheme);
        let binary = HeaderValue::from_bytes(b"Bearer \xff").unwrap();
        assert_eq!(Bearer::of(Some(&binary)), Bearer::OtherScheme);
    }
}

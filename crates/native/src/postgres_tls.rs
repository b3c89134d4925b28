//! `sslmode` for the native Postgres client, with the meanings libpq gives them, checked as Spin's
//! own Postgres client checks them where they overlap (the same `pg_url` serves both):
//!
//! | sslmode             | TLS                             | certificate checked              |
//! |---------------------|---------------------------------|----------------------------------|
//! | `disable`           | never                           | —                                |
//! | `prefer` (default)  | when the server offers it       | no (as libpq)                    |
//! | `require`           | always                          | chain and host name (as Spin)    |
//! | `verify-ca`         | always                          | chain                            |
//! | `verify-full`       | always                          | chain and host name              |
//!
//! tokio-postgres itself knows only `disable`, `prefer` and `require`: the verifying modes reach
//! it as `require`, with the checks in the TLS configuration ([`crate::tls`]). Certificates are
//! checked against the system's CAs (`SSL_CERT_FILE` names a bundle with a private CA).

use hexaspin_core::ports::StoreError;

use crate::tls::Verification;

/// What a URL's `sslmode` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// `disable`.
    Disable,
    /// `prefer`, or no `sslmode`.
    Prefer,
    /// `require`.
    Require,
    /// `verify-ca`.
    VerifyCa,
    /// `verify-full`.
    VerifyFull,
}

impl SslMode {
    /// The certificate checks of a TLS connection in this mode (`None` for `disable`).
    pub fn verification(self) -> Option<Verification> {
        match self {
            Self::Disable => None,
            Self::Prefer => Some(Verification::None),
            Self::VerifyCa => Some(Verification::Chain),
            Self::Require | Self::VerifyFull => Some(Verification::Full),
        }
    }

    /// The mode as a URL spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    fn parse(value: &str) -> Result<Self, StoreError> {
        Ok(match value {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => {
                return Err(StoreError::Failed(format!(
                    "pg_url: sslmode={other} is not supported (disable, prefer, require, verify-ca, verify-full)"
                )));
            }
        })
    }
}

/// Checks that tokio-postgres read the same `sslmode` out of the connection string as
/// [`split_sslmode`] did: libpq's syntax also allows spaces around `=` and percent-encoded names,
/// which the splitter does not read, and a mode only one of them saw could weaken TLS (a
/// `verify-full` the splitter saw while tokio-postgres read a later `ssl%6Dode=disable`). Such a
/// string is refused rather than guessed at.
pub fn check_sslmode_agrees(mode: SslMode, config: &tokio_postgres::Config) -> Result<(), StoreError> {
    use tokio_postgres::config::SslMode as Read;
    let agrees = matches!(
        (mode, config.get_ssl_mode()),
        (SslMode::Disable, Read::Disable)
            | (SslMode::Prefer, Read::Prefer)
            | (
                SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull,
                Read::Require
            )
    );
    if agrees {
        Ok(())
    } else {
        Err(StoreError::Failed(
            "pg_url: sslmode is written in a form this tool does not read (spaces around `=`, or a \
             percent-encoded name); write it as sslmode=<mode>"
                .into(),
        ))
    }
}

/// The connection string as tokio-postgres reads it and the mode it asks for. Both forms are
/// read: a URL (`postgres://…?sslmode=verify-full`) and key=value pairs (`host=… sslmode=…`); the
/// last `sslmode` wins, as in libpq.
pub fn split_sslmode(url: &str) -> Result<(String, SslMode), StoreError> {
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let (head, params, separator) = if is_url {
        match url.split_once('?') {
            Some((head, query)) => (format!("{head}?"), query, "&"),
            None => return Ok((url.to_owned(), SslMode::Prefer)),
        }
    } else {
        (String::new(), url, " ")
    };
    let mut mode = SslMode::Prefer;
    let mut kept = Vec::new();
    for param in params.split(separator).filter(|p| !p.is_empty()) {
        match param.split_once('=') {
            Some(("sslmode", value)) => {
                mode = SslMode::parse(value)?;
                let value = if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) {
                    "require"
                } else {
                    value
                };
                kept.push(format!("sslmode={value}"));
            }
            _ => kept.push(param.to_owned()),
        }
    }
    Ok((format!("{head}{}", kept.join(separator)), mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(url: &str) -> Result<SslMode, StoreError> {
        let (rewritten, mode) = split_sslmode(url)?;
        let config: tokio_postgres::Config = rewritten.parse().expect("tokio-postgres parses it");
        check_sslmode_agrees(mode, &config).map(|()| mode)
    }

    #[test]
    fn an_sslmode_written_in_a_form_the_splitter_does_not_read_is_refused_not_weakened() {
        for url in [
            "host=db user=app sslmode = require",
            "postgres://db/app?ssl%6Dode=require",
            "postgres://db/app?sslmode=verify-full&ssl%6Dode=disable",
        ] {
            assert!(checked(url).is_err(), "{url}");
        }
        assert_eq!(
            checked("postgres://db/app?sslmode=verify-full").unwrap(),
            SslMode::VerifyFull
        );
        assert_eq!(
            checked("host=db user=app sslmode=disable").unwrap(),
            SslMode::Disable
        );
        assert_eq!(checked("postgres://db/app").unwrap(), SslMode::Prefer);
    }

    #[test]
    fn a_url_without_sslmode_prefers_tls_and_is_left_as_it_is() {
        let url = "postgres://app:pw@db:5432/app";
        assert_eq!(split_sslmode(url).unwrap(), (url.to_owned(), SslMode::Prefer));
    }

    #[test]
    fn the_verifying_modes_reach_tokio_postgres_as_require_and_other_parameters_stay() {
        let (url, mode) = split_sslmode(
            "postgres://app:pw@db/app?application_name=x&sslmode=verify-full&options=-c%20a%3Db",
        )
        .unwrap();
        assert_eq!(mode, SslMode::VerifyFull);
        assert_eq!(
            url,
            "postgres://app:pw@db/app?application_name=x&sslmode=require&options=-c%20a%3Db"
        );
        let (url, mode) = split_sslmode("host=db user=app sslmode=verify-ca").unwrap();
        assert_eq!(
            (url.as_str(), mode),
            ("host=db user=app sslmode=require", SslMode::VerifyCa)
        );
    }

    #[test]
    fn the_last_sslmode_wins_and_disable_and_require_pass_through() {
        let (url, mode) = split_sslmode("postgres://db/app?sslmode=disable&sslmode=require").unwrap();
        assert_eq!(mode, SslMode::Require);
        assert_eq!(url, "postgres://db/app?sslmode=disable&sslmode=require");
        assert_eq!(
            split_sslmode("postgres://db/app?sslmode=disable").unwrap().1,
            SslMode::Disable
        );
    }

    #[test]
    fn an_unknown_sslmode_is_refused_naming_the_ones_supported() {
        let error = split_sslmode("postgres://db/app?sslmode=allow").unwrap_err();
        assert!(
            error.to_string().contains("sslmode=allow is not supported"),
            "{error}"
        );
    }

    #[test]
    fn each_mode_checks_what_libpq_or_spin_checks() {
        assert_eq!(SslMode::Disable.verification(), None);
        assert_eq!(SslMode::Prefer.verification(), Some(Verification::None));
        assert_eq!(SslMode::Require.verification(), Some(Verification::Full));
        assert_eq!(SslMode::VerifyCa.verification(), Some(Verification::Chain));
        assert_eq!(SslMode::VerifyFull.verification(), Some(Verification::Full));
    }
}

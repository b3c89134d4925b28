//! Spin's SQLite and Postgres errors as store errors, from the text and codes Spin passes on.
//!
//! Both Spin adapters (spin-sdk 5.2's `sqlite`/`pg4` and spin-sdk 7's `sqlite`/`pg`) get the same
//! words and SQLSTATE codes from the host in differently named types, so the judgement lives here
//! once: which failures are the store away for now (503, `Retry-After`), a conflict, or a fault.

use hexaspin_core::ports::{StoreError, is_connection_failure};

use crate::NOT_MIGRATED_HINT;

/// SQLITE_BUSY and SQLITE_LOCKED as SQLite words them (Spin passes the text on).
pub fn is_locked(message: &str) -> bool {
    [
        "database is locked",
        "database table is locked",
        "database schema is locked",
    ]
    .iter()
    .any(|words| message.contains(words))
}

/// A statement SQLite refused with `message` (Spin's `io` error).
pub fn sqlite_statement_failed(message: String) -> StoreError {
    if message.contains("no such table") {
        StoreError::Unavailable(format!("{message}: {NOT_MIGRATED_HINT}"))
    } else if message.contains("UNIQUE") || message.contains("PRIMARY KEY") {
        StoreError::Conflict(message)
    } else if is_locked(&message) {
        StoreError::Unavailable(message)
    } else {
        StoreError::Failed(message)
    }
}

/// A statement Postgres refused with SQLSTATE `code`.
pub fn postgres_statement_failed(code: &str, message: String) -> StoreError {
    match code {
        "23505" => StoreError::Conflict(message),
        "42P01" => StoreError::Unavailable(format!("{message}: {NOT_MIGRATED_HINT}")),
        code if code.starts_with("08") || code.starts_with("53") || code.starts_with("57") => {
            StoreError::Unavailable(message)
        }
        code => StoreError::Failed(format!("{code}: {message}")),
    }
}

/// A query that failed without a SQLSTATE: a pooled connection the server terminated (Spin
/// reports tokio-postgres' `Error { kind: Closed, .. }` as text) is the database away for now,
/// and Spin's pool opens a new connection for a later request; anything else is a fault.
pub fn postgres_query_failed(text: String) -> StoreError {
    if is_connection_failure(&text) {
        StoreError::Unavailable(text)
    } else {
        StoreError::Failed(text)
    }
}

/// Said, once, in the log line of a Postgres connection that failed on TLS: the cause is nearly
/// always a local server without TLS or a server whose CA the host does not trust.
const TLS_HINT: &str = "Spin connects to Postgres over TLS unless pg_url says ?sslmode=disable; \
    for a server without TLS (local development) add ?sslmode=disable, otherwise make the host \
    trust the server's CA (README, 'Postgres and TLS')";

/// The connection failure as the operator should read it, on one line: Spin's error chain
/// flattened (without the backtrace Spin adds when `RUST_BACKTRACE` is set); TLS failures carry
/// [`TLS_HINT`].
pub fn postgres_connection_failed(message: String) -> StoreError {
    let detail = flatten_error_chain(&message);
    let lower = detail.to_ascii_lowercase();
    let about_tls = ["certificate", "tls", "ssl", "handshake"]
        .iter()
        .any(|word| lower.contains(word));
    if about_tls {
        StoreError::Unavailable(format!("{detail}: {TLS_HINT}"))
    } else {
        StoreError::Unavailable(detail)
    }
}

/// `anyhow`'s multi-line report as one line: the backtrace cut, `Caused by:` and the `0:`
/// numbering dropped, and causes already said by another one left out.
fn flatten_error_chain(message: &str) -> String {
    let chain = message.split("Stack backtrace:").next().unwrap_or(message);
    let causes: Vec<&str> = chain
        .lines()
        .map(|line| {
            let line = line.trim();
            match line.split_once(": ") {
                Some((number, rest)) if number.bytes().all(|b| b.is_ascii_digit()) => rest,
                _ => line,
            }
        })
        .filter(|line| !line.is_empty() && *line != "Caused by:")
        .collect();
    let said_elsewhere = |i: usize, cause: &str| {
        causes
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && other.contains(cause) && (other.len() > cause.len() || j < i))
    };
    causes
        .iter()
        .enumerate()
        .filter(|(i, cause)| !said_elsewhere(*i, cause))
        .map(|(_, cause)| *cause)
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As Spin 4.1 reports a server certificate it cannot verify, with `RUST_BACKTRACE=1`.
    const TLS_FAILURE: &str = "Error occurred while creating a new object: error performing TLS handshake\n\n\
        Caused by:\n    0: error performing TLS handshake\n    1: error:0A000086:SSL routines:\
        tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889: \
        (unable to get local issuer certificate)\n    2: error:0A000086:SSL routines:\
        tls_post_process_server_certificate:certificate verify failed:../ssl/statem/statem_clnt.c:1889:\n\n\
        Stack backtrace:\n   0: anyhow::error::<impl core::convert::From<E> for anyhow::Error>::from\n   \
        1: <spin_factor_outbound_pg::client::PooledTokioClientFactory as spin_factor_outbound_pg::client::ClientFactory>::get_client\n";

    #[test]
    fn a_tls_failure_names_its_cause_sslmode_and_the_ca_in_one_short_line() {
        let StoreError::Unavailable(message) = postgres_connection_failed(TLS_FAILURE.into()) else {
            panic!("a connection failure is unavailability");
        };
        assert_eq!(
            message.split(": Spin connects").next(),
            Some(
                "Error occurred while creating a new object: error performing TLS handshake: \
                 error:0A000086:SSL routines:tls_post_process_server_certificate:certificate verify \
                 failed:../ssl/statem/statem_clnt.c:1889: (unable to get local issuer certificate)"
            )
        );
        assert!(
            message.contains("sslmode=disable") && message.contains("CA"),
            "{message}"
        );
        assert!(
            !message.contains('\n') && !message.contains("backtrace"),
            "{message}"
        );
    }

    #[test]
    fn a_query_on_a_connection_the_server_closed_is_unavailability_not_a_failure() {
        let closed = postgres_query_failed("Error { kind: Closed, cause: None }".into());
        assert!(matches!(closed, StoreError::Unavailable(_)));
        let bad_statement = postgres_query_failed("cannot convert value".into());
        assert!(matches!(bad_statement, StoreError::Failed(_)));
    }

    #[test]
    fn other_connection_failures_are_left_as_they_are() {
        let error = postgres_connection_failed("Connection refused (os error 111)".into());
        assert_eq!(
            error,
            StoreError::Unavailable("Connection refused (os error 111)".into())
        );
    }

    #[test]
    fn sqlite_lock_and_missing_table_are_unavailability_and_a_duplicate_is_a_conflict() {
        assert!(matches!(
            sqlite_statement_failed("database is locked".into()),
            StoreError::Unavailable(_)
        ));
        let StoreError::Unavailable(missing) = sqlite_statement_failed("no such table: api_keys".into())
        else {
            panic!("a missing table is unavailability");
        };
        assert!(missing.contains("migrate up"), "{missing}");
        assert!(matches!(
            sqlite_statement_failed("UNIQUE constraint failed: api_keys.prefix".into()),
            StoreError::Conflict(_)
        ));
        assert!(matches!(
            sqlite_statement_failed("near \"SELEC\": syntax error".into()),
            StoreError::Failed(_)
        ));
    }

    #[test]
    fn postgres_codes_map_to_conflict_unavailability_or_failure() {
        assert!(matches!(
            postgres_statement_failed("23505", "duplicate".into()),
            StoreError::Conflict(_)
        ));
        for code in ["42P01", "08006", "53300", "57P01"] {
            assert!(
                matches!(
                    postgres_statement_failed(code, "x".into()),
                    StoreError::Unavailable(_)
                ),
                "{code}"
            );
        }
        assert_eq!(
            postgres_statement_failed("42601", "syntax".into()),
            StoreError::Failed("42601: syntax".into())
        );
    }
}

//! Whether a failed Redis call means "Redis is away for now" (the API answers 503 with
//! `Retry-After`, the worker backs off) or "this call is wrong" (a script error: 500, logged).
//!
//! Spin's Redis interface reports most failures as `other(<message>)`, so the message decides: a
//! connection that broke or timed out ([`hexaspin_core::ports::is_connection_failure`]), or a server that says it cannot serve yet (`LOADING`,
//! `BUSY`, `TRYAGAIN`, `MASTERDOWN`, `READONLY` after a failover), is transient.

/// Redis error codes that say "not now", not "never".
const TRANSIENT_CODES: &[&str] = &[
    "LOADING",
    "BUSY",
    "TRYAGAIN",
    "MASTERDOWN",
    "READONLY",
    "CLUSTERDOWN",
];

/// Whether `message` describes a failure another try later may not meet.
pub fn is_transient(message: &str) -> bool {
    hexaspin_core::ports::is_connection_failure(message)
        || message
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| TRANSIENT_CODES.contains(&word))
}

/// Whether `message` says the server does not have the script whose SHA1 `EVALSHA` named (a
/// restarted or flushed Redis), so the caller sends the source with `EVAL` instead. Redis says
/// `NOSCRIPT No matching script`; Spin 4.1's outbound Redis (a newer redis-rs) reports it as
/// `An error was signalled by the server - NoScriptError: No matching script. Please use EVAL.`
pub fn is_missing_script(message: &str) -> bool {
    message.contains("NOSCRIPT") || message.contains("NoScriptError")
}

#[cfg(test)]
mod tests {
    use super::{is_missing_script, is_transient};

    #[test]
    fn a_missing_script_is_recognised_as_redis_and_as_spin_4_1_report_it() {
        for message in [
            "NOSCRIPT No matching script. Please use EVAL.",
            "Error::Other(\"An error was signalled by the server - NoScriptError: No matching script. Please use EVAL.\")",
        ] {
            assert!(is_missing_script(message), "{message}");
            assert!(!is_transient(message), "{message}");
        }
        assert!(!is_missing_script(
            "ERR Error running script (call to f_0123): @user_script:1: boom"
        ));
    }

    #[test]
    fn broken_connections_and_not_now_answers_are_transient() {
        for message in [
            "Error::Other(\"broken pipe\")",
            "Connection reset by peer (os error 104)",
            "Connection refused (os error 111)",
            "LOADING Redis is loading the dataset in memory",
            "BUSY Redis is busy running a script",
            "READONLY You can't write against a read only replica.",
        ] {
            assert!(is_transient(message), "{message}");
        }
    }

    #[test]
    fn script_and_type_errors_are_not() {
        for message in [
            "ERR Error running script (call to f_0123): @user_script:12: attempt to compare nil with number",
            "WRONGTYPE Operation against a key holding the wrong kind of value",
            "NOSCRIPT No matching script",
        ] {
            assert!(!is_transient(message), "{message}");
        }
    }
}

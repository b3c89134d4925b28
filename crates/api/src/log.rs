//! Structured log lines on stderr, where Spin (and Fluent Bit after it) collects them.
//!
//! Callers pass errors whose `Display` carries no secret: store errors, config errors naming the
//! variable, never its value.

/// Logs an error event as one JSON line.
pub fn error(what: &str, error: &dyn std::fmt::Display) {
    let line = serde_json::json!({ "level": "error", "what": what, "error": error.to_string() });
    eprintln!("{line}");
}

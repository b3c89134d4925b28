//! Write a hexaspin job component in a few lines.
//!
//! A job component implements the `hexaspin:jobs/handler` world (`wit/jobs.wit`): it exports `run`,
//! which gets one attempt of one job and returns its output (JSON text) or an error that says
//! whether to retry. The worker runs it in a fresh, sandboxed instance per attempt.
//!
//! ```ignore
//! struct Echo;
//!
//! impl hexaspin_job_sdk::Handler for Echo {
//!     fn run(job: hexaspin_job_sdk::Job) -> Result<String, hexaspin_job_sdk::JobError> {
//!         hexaspin_job_sdk::log::info(&format!("echoing {} bytes", job.payload.len()));
//!         Ok(job.payload)
//!     }
//! }
//!
//! hexaspin_job_sdk::bindings::export_job!(Echo);
//! ```
//!
//! Build with `cargo build --target wasm32-wasip2 --release`; outbound HTTP goes through
//! `wasi:http` (for example with the `wstd` crate) and only reaches the hosts the worker allows
//! for the job's kind.

// The public API of a library crate is documented; applications and tests need not be.
#![warn(missing_docs)]
#![allow(missing_docs)] // the generated bindings document themselves from the WIT

/// The generated bindings of the `hexaspin:jobs/handler` world.
#[allow(clippy::too_many_arguments)] // generated glue
pub mod bindings {
    wit_bindgen::generate!({
        world: "handler",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "export_job",
        default_bindings_module: "hexaspin_job_sdk::bindings",
    });
}

pub use bindings::{Guest as Handler, Job, JobError};

/// Logging into the worker's structured logs, tagged with the job id.
pub mod log {
    use super::bindings::hexaspin::jobs::log::{Level, write};

    /// Debug detail.
    pub fn debug(message: &str) {
        write(Level::Debug, message);
    }

    /// Progress worth keeping in the log.
    pub fn info(message: &str) {
        write(Level::Info, message);
    }

    /// Something odd, but the job goes on.
    pub fn warn(message: &str) {
        write(Level::Warn, message);
    }

    /// Something failed.
    pub fn error(message: &str) {
        write(Level::Error, message);
    }
}

/// A URL as it may appear in a log line or a job error: scheme, host and port only. User info,
/// path and query string (where tokens and signatures travel) become `…`.
///
/// ```
/// assert_eq!(
///     hexaspin_job_sdk::redact_url("https://user:pw@hooks.example.com:8443/h/abc?sig=s3cret"),
///     "https://hooks.example.com:8443/…"
/// );
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<not a URL>".to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let more = if end < rest.len() { "/…" } else { "" };
    format!("{scheme}://{host_port}{more}")
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_redacted_url_keeps_only_scheme_host_and_port() {
        assert_eq!(
            redact_url("http://127.0.0.1:8080/hook?token=t"),
            "http://127.0.0.1:8080/…"
        );
        assert_eq!(redact_url("https://a:b@x.example"), "https://x.example");
        assert_eq!(redact_url("https://x.example#frag"), "https://x.example/…");
        assert_eq!(redact_url("no url here"), "<not a URL>");
    }
}

//! Why a value from outside was not accepted.

/// A value that does not satisfy the domain's rules; `field` names the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {reason}")]
pub struct DomainError {
    /// The input that was rejected (a JSON field name, or a header).
    pub field: &'static str,
    /// Why, phrased to follow the field name: "must not be empty".
    pub reason: String,
}

impl DomainError {
    /// A rejection of `field` for `reason`.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

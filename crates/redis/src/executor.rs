//! What a Redis adapter provides.

use hexaspin_core::ports::StoreError;

use crate::Script;

/// One element of a (flattened) Redis reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisValue {
    /// Redis's nil reply: a missing key or field.
    Nil,
    /// An integer reply.
    Int(i64),
    /// A bulk or status string.
    Text(String),
}

impl RedisValue {
    /// The value as text ('' for nil), integers in decimal.
    pub fn text(&self) -> String {
        match self {
            Self::Nil => String::new(),
            Self::Int(n) => n.to_string(),
            Self::Text(s) => s.clone(),
        }
    }

    /// The value as an integer, if it is one (or decimal text).
    pub fn int(&self) -> Option<i64> {
        match self {
            Self::Int(n) => Some(*n),
            Self::Text(s) => s.parse().ok(),
            Self::Nil => None,
        }
    }
}

/// Runs hexaspin's scripts.
pub trait RedisExecutor {
    /// Runs `script` (by SHA, loading it when the server does not know it) with `args` as ARGV and
    /// no KEYS; returns the reply flattened.
    async fn run_script(&self, script: &Script, args: &[String]) -> Result<Vec<RedisValue>, StoreError>;

    /// `PING`.
    async fn ping(&self) -> Result<(), StoreError>;
}

//! The operating system's randomness and clock: `getrandom` and `SystemTime` work natively and,
//! through WASI random and clocks, inside Spin.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::{Entropy, EntropyUnavailable};

/// The OS CSPRNG (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyUnavailable> {
        getrandom::fill(buf).map_err(|e| EntropyUnavailable(e.to_string()))
    }
}

/// Now, from the system clock.
pub fn system_now() -> Timestamp {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_millis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

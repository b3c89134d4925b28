//! API keys: how they look on the wire, how they are stored, and what state they are in.
//!
//! A key is `hx_<id>_<secret>`: the id (64 random bits, hex) makes verification one primary-key
//! lookup, the secret (256 random bits, base64url) is never stored, only its peppered HMAC-SHA256.

mod cached;
mod fields;
mod id;
mod limits;
mod model;
mod secret;

pub use cached::{cached_key_json, key_from_cached_json};
pub use fields::{KeyName, Owner, Scopes};
pub use id::ApiKeyId;
pub use limits::{Limits, Refill, RefillInterval};
pub use model::{ApiKey, KeyState};
pub use secret::{KEY_PREFIX, KeyHasher, KeySecret, PresentedKey, SecretHash};

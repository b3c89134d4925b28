//! Whatever a client puts in `Authorization: Bearer …` for the admin API: header parsing,
//! algorithm, claims. Never a panic, and never accepted (the fuzzer does not know the secret).
#![no_main]

use hexaspin_core::Timestamp;
use hexaspin_core::admin_auth::{AdminAuthConfig, authenticate_admin};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-0123456789abcdefghijklmnopqrstuvwxyz";

fuzz_target!(|token: &str| {
    let config = AdminAuthConfig::new(SECRET, Some("k1".into())).expect("config");
    let now = Timestamp::from_millis(1_795_000_000_000);
    assert!(authenticate_admin(&config, token, now).is_err());
});

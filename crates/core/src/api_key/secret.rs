//! Key secrets: generation, the wire format, and the peppered hash that is all a store ever sees.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::ApiKeyId;
use crate::DomainError;

/// Every key starts with this, so leaked keys are easy to spot (secret scanners, logs).
pub const KEY_PREFIX: &str = "hx_";

const SECRET_BYTES: usize = 32;
const SECRET_CHARS: usize = 43; // base64url of 32 bytes, no padding
const MIN_PEPPER_BYTES: usize = 32;

/// The secret half of a key, as handed to its owner once. Never stored; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySecret(String);

impl KeySecret {
    /// A secret from 32 bytes of CSPRNG output.
    pub fn from_random(bytes: [u8; SECRET_BYTES]) -> Self {
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The full key to give to the client: `hx_<id>_<secret>`.
    pub fn full_key(&self, id: &ApiKeyId) -> String {
        format!("{KEY_PREFIX}{id}_{}", self.0)
    }
}

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySecret(<redacted>)")
    }
}

/// A key as a client presented it, split into its id and secret. `Debug` hides the secret.
#[derive(Clone)]
pub struct PresentedKey {
    id: ApiKeyId,
    secret: KeySecret,
}

impl PresentedKey {
    /// Splits `hx_<16 hex>_<43 base64url>`; anything else is malformed.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let malformed = || DomainError::invalid("api key", "is not a hexaspin API key");
        let rest = text.strip_prefix(KEY_PREFIX).ok_or_else(malformed)?;
        if rest.len() != ApiKeyId::LEN + 1 + SECRET_CHARS || !rest.is_char_boundary(ApiKeyId::LEN) {
            return Err(malformed());
        }
        let (id, tail) = rest.split_at(ApiKeyId::LEN);
        let secret = tail.strip_prefix('_').ok_or_else(malformed)?;
        let decodes = URL_SAFE_NO_PAD
            .decode(secret)
            .is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
        if !decodes {
            return Err(malformed());
        }
        Ok(Self {
            id: ApiKeyId::parse(id).map_err(|_| malformed())?,
            secret: KeySecret(secret.to_owned()),
        })
    }

    /// The lookup id.
    pub fn id(&self) -> &ApiKeyId {
        &self.id
    }

    /// The secret half.
    pub fn secret(&self) -> &KeySecret {
        &self.secret
    }
}

impl std::fmt::Debug for PresentedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PresentedKey({KEY_PREFIX}{}_<redacted>)", self.id)
    }
}

/// HMAC-SHA256 of a secret under the server's pepper: what stores keep instead of the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// Parses the hex form stores keep.
    pub fn from_hex(text: &str) -> Result<Self, DomainError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes)
            .map_err(|_| DomainError::invalid("secret_hash", "must be 64 hex digits"))?;
        Ok(Self(bytes))
    }

    /// The hex form stores keep.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// Hashes and checks secrets with the server-side pepper (Spin variable `key_pepper`).
///
/// A pepper that leaks with the database would make the hashes brute-forceable offline only if the
/// secrets were weak; ours carry 256 random bits, so a fast keyed hash is the right tool (a slow
/// password hash like argon2 would only cost latency on every request).
#[derive(Clone)]
pub struct KeyHasher {
    pepper: Vec<u8>,
}

impl KeyHasher {
    /// A hasher for `pepper`, which must hold at least 32 bytes.
    pub fn new(pepper: &[u8]) -> Result<Self, DomainError> {
        crate::secret_quality::check_secret("key_pepper", pepper, MIN_PEPPER_BYTES)?;
        Ok(Self {
            pepper: pepper.to_vec(),
        })
    }

    /// The stored form of `secret` for key `id`; binding the id means a hash cannot be moved to
    /// another row.
    pub fn hash(&self, id: &ApiKeyId, secret: &KeySecret) -> SecretHash {
        SecretHash(self.mac(id, secret).finalize().into_bytes().into())
    }

    /// Whether `secret` matches `stored`, compared in constant time.
    pub fn matches(&self, id: &ApiKeyId, secret: &KeySecret, stored: &SecretHash) -> bool {
        self.mac(id, secret).verify_slice(&stored.0).is_ok()
    }

    fn mac(&self, id: &ApiKeyId, secret: &KeySecret) -> Hmac<Sha256> {
        #[allow(clippy::expect_used)]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.pepper).expect("HMAC takes keys of any length");
        mac.update(id.as_str().as_bytes());
        mac.update(b":");
        mac.update(secret.0.as_bytes());
        mac
    }
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHasher(<pepper redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> KeyHasher {
        KeyHasher::new(b"0123456789abcdefghijklmnopqrstuv").unwrap()
    }

    fn sample() -> (ApiKeyId, KeySecret) {
        (ApiKeyId::from_random([1; 8]), KeySecret::from_random([9; 32]))
    }

    #[test]
    fn a_generated_key_parses_back_into_its_id_and_secret() {
        let (id, secret) = sample();
        let full = secret.full_key(&id);
        assert!(full.starts_with("hx_0101010101010101_"));
        let presented = PresentedKey::parse(&full).unwrap();
        assert_eq!(presented.id(), &id);
        assert_eq!(presented.secret(), &secret);
    }

    #[test]
    fn malformed_keys_are_rejected() {
        let (id, secret) = sample();
        let full = secret.full_key(&id);
        let cases = [
            String::new(),
            full.replacen("hx_", "hy_", 1),
            full[..full.len() - 1].to_owned(),
            format!("{full}A"),
            full.replacen('_', "-", 2),
            format!("hx_{}_{}", "é".repeat(8), &full[20..]),
        ];
        for bad in cases {
            assert!(PresentedKey::parse(&bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn the_hash_matches_only_the_right_secret_for_the_right_id() {
        let (id, secret) = sample();
        let stored = hasher().hash(&id, &secret);
        assert!(hasher().matches(&id, &secret, &stored));
        assert!(!hasher().matches(&id, &KeySecret::from_random([8; 32]), &stored));
        assert!(!hasher().matches(&ApiKeyId::from_random([2; 8]), &secret, &stored));
        let other_pepper = KeyHasher::new(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345").unwrap();
        assert!(!other_pepper.matches(&id, &secret, &stored));
    }

    #[test]
    fn hashes_round_trip_through_hex() {
        let (id, secret) = sample();
        let stored = hasher().hash(&id, &secret);
        assert_eq!(SecretHash::from_hex(&stored.to_hex()).unwrap(), stored);
        assert!(SecretHash::from_hex("abc").is_err());
    }

    #[test]
    fn a_short_pepper_is_a_configuration_error() {
        let err = KeyHasher::new(b"too short").unwrap_err();
        assert_eq!(err.field, "key_pepper");
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let (id, secret) = sample();
        let presented = PresentedKey::parse(&secret.full_key(&id)).unwrap();
        let shown = format!("{secret:?} {presented:?}");
        assert!(!shown.contains(&secret.0), "{shown}");
    }

    proptest::proptest! {
        #[test]
        fn every_generated_key_parses_back(id in proptest::array::uniform8(0u8..), secret in proptest::array::uniform32(0u8..)) {
            let (id, secret) = (ApiKeyId::from_random(id), KeySecret::from_random(secret));
            let presented = PresentedKey::parse(&secret.full_key(&id)).unwrap();
            proptest::prop_assert_eq!(presented.id(), &id);
            proptest::prop_assert_eq!(presented.secret(), &secret);
        }

        #[test]
        fn arbitrary_text_never_panics_the_parser(text in ".{0,120}") {
            let _ = PresentedKey::parse(&text);
        }
    }
}

//! Passwords: the policy a new one must meet, and Argon2id hashing.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`): they carry their own
//! parameters, so raising the cost later still verifies old hashes, and
//! [`PasswordHasher::needs_rehash`] tells the sign-in to upgrade them. Verification compares in
//! constant time (the `password-hash` crate's `Output` equality).

use std::fmt;

use argon2::password_hash::{PasswordHash as PhcHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::DomainError;

/// Shortest accepted password, in characters (NIST SP 800-63B asks for at least 8; a password
/// manager makes 12 free).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted password, in characters: long enough for any passphrase, short enough that
/// a megabyte "password" cannot be used to make the server hash for a long time.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Passwords of at least 12 characters that leak lists show people choose anyway. Small by design
/// (the issue asks for a small list); a fork can swap in a larger one or a breach-corpus check.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "qwertyuiopas",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "p@ssw0rd1234",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "administrator",
    "changeme1234",
    "abcdefghijkl",
    "abc123456789",
    "aaaaaaaaaaaa",
    "111111111111",
    "000000000000",
    "correcthorsebatterystaple",
    "trustno1trustno1",
    "football1234",
    "baseball1234",
    "princess1234",
    "sunshine1234",
    "superman1234",
    "michael12345",
    "monkey123456",
    "dragon123456",
    "master123456",
    "zaq12wsxcde3",
    "asdfghjkl123",
    "asdfasdfasdf",
    "qazwsxedcrfv",
];

/// A plaintext password, as typed. Never printed: its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// A password presented at sign-in: any text up to the maximum length (the policy applies to
    /// new passwords only; an old account may predate it).
    pub fn presented(text: &str) -> Result<Self, DomainError> {
        if text.chars().count() > MAX_PASSWORD_CHARS {
            return Err(DomainError::invalid("password", "must be at most 128 characters"));
        }
        Ok(Self(text.to_owned()))
    }

    /// A new password for `email`'s account, checked against the policy: 12 to 128 characters,
    /// not a common password, not the address or its local part, not one repeated character.
    pub fn new_for(text: &str, email: &super::Email) -> Result<Self, DomainError> {
        let chars = text.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(DomainError::invalid("password", "must be at least 12 characters"));
        }
        let password = Self::presented(text)?;
        let lower = text.to_lowercase();
        if COMMON_PASSWORDS.contains(&lower.as_str()) {
            return Err(DomainError::invalid("password", "is too common; choose another"));
        }
        if lower == email.as_str() || lower == email.local_part() {
            return Err(DomainError::invalid("password", "must not be the email address"));
        }
        let mut distinct = text.chars();
        let first = distinct.next();
        if distinct.all(|c| Some(c) == first) {
            return Err(DomainError::invalid(
                "password",
                "must not be one repeated character",
            ));
        }
        Ok(password)
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// A stored hash in PHC string format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// A hash read back from the store; it must parse as a PHC string.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        PhcHash::new(text).map_err(|e| DomainError::invalid("password_hash", e.to_string()))?;
        Ok(Self(text.to_owned()))
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes over memory (`t`).
    pub iterations: u32,
    /// Lanes (`p`). A Spin component has one thread, so more lanes only cost memory.
    pub parallelism: u32,
}

impl PasswordParams {
    /// OWASP's first Argon2id recommendation (19 MiB, t=2, p=1), measured under Spin in
    /// docs/benchmarks.md ("User service").
    pub const DEFAULT: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Cheapest parameters Argon2 allows: for tests only, where hashing speed is irrelevant.
    pub const FOR_TESTS: Self = Self {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };

    fn argon2(self) -> Result<Argon2<'static>, DomainError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| DomainError::invalid("password_hash_params", e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashes and verifies passwords with fixed Argon2id parameters.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: PasswordParams,
    argon2: Argon2<'static>,
}

/// Salt for [`PasswordHasher::burn`]: the work is thrown away, the salt only has to be valid.
const BURN_SALT: [u8; 16] = *b"hexaspin-no-user";

impl PasswordHasher {
    /// A hasher with `params`; refused when Argon2 does not accept them.
    pub fn new(params: PasswordParams) -> Result<Self, DomainError> {
        Ok(Self {
            params,
            argon2: params.argon2()?,
        })
    }

    /// The parameters new hashes get.
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// Hashes `password` with a fresh random `salt` (16 bytes from the CSPRNG).
    pub fn hash(&self, password: &Password, salt: [u8; 16]) -> Result<PasswordHash, DomainError> {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::encode_b64(&salt).map_err(|e| DomainError::invalid("salt", e.to_string()))?;
        let hash = self
            .argon2
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| DomainError::invalid("password", e.to_string()))?;
        Ok(PasswordHash(hash.to_string()))
    }

    /// Whether `password` matches `stored`, with the parameters `stored` was made with; the
    /// comparison is constant-time. A hash that no longer parses matches nothing.
    pub fn verify(&self, password: &Password, stored: &PasswordHash) -> bool {
        match PhcHash::new(&stored.0) {
            Ok(parsed) => self.argon2.verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        }
    }

    /// Does the work of one verification and throws it away: a sign-in for an unknown address
    /// takes as long as one with a wrong password, so timing does not tell which addresses exist.
    pub fn burn(&self, password: &Password) {
        let mut output = [0u8; 32];
        // The result is discarded on purpose; only the time spent matters.
        let _ = self
            .argon2
            .hash_password_into(password.as_bytes(), &BURN_SALT, &mut output);
    }

    /// Whether `stored` was made with other parameters than this hasher's (or another algorithm):
    /// after a successful sign-in, the password is hashed again with the current ones.
    pub fn needs_rehash(&self, stored: &PasswordHash) -> bool {
        let Ok(parsed) = PhcHash::new(&stored.0) else {
            return true;
        };
        if parsed.algorithm.as_str() != "argon2id" {
            return true;
        }
        match Params::try_from(&parsed) {
            Ok(params) => {
                params.m_cost() != self.params.memory_kib
                    || params.t_cost() != self.params.iterations
                    || params.p_cost() != self.params.parallelism
            }
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::Email;

    fn email() -> Email {
        Email::parse("grace.hopper@example.com").unwrap()
    }

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let hasher = PasswordHasher::new(PasswordParams::FOR_TESTS).unwrap();
        let password = Password::new_for("a long enough passphrase", &email()).unwrap();
        let hash = hasher.hash(&password, [7; 16]).unwrap();
        assert!(hash.as_str().starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
        assert!(hasher.verify(&password, &hash));
        assert!(!hasher.verify(&Password::presented("a long enough passphrasE").unwrap(), &hash));
        assert!(!hasher.verify(&password, &PasswordHash("$argon2id$garbage".into())));
    }

    #[test]
    fn hashes_made_with_other_parameters_still_verify_and_ask_to_be_redone() {
        let old = PasswordHasher::new(PasswordParams::FOR_TESTS).unwrap();
        let new = PasswordHasher::new(PasswordParams {
            memory_kib: 16,
            ..PasswordParams::FOR_TESTS
        })
        .unwrap();
        let password = Password::presented("correct horse battery").unwrap();
        let hash = old.hash(&password, [1; 16]).unwrap();
        assert!(new.verify(&password, &hash));
        assert!(new.needs_rehash(&hash));
        assert!(!old.needs_rehash(&hash));
    }

    #[test]
    fn the_policy_refuses_short_long_common_and_email_passwords_and_says_why() {
        let cases = [
            ("short pass", "at least 12"),
            (&*"x".repeat(129), "at most 128"),
            ("Password1234", "too common"),
            ("grace.hopper", "email"),
            ("GRACE.HOPPER@EXAMPLE.COM", "email"),
            ("zzzzzzzzzzzzzz", "repeated"),
        ];
        for (text, reason) in cases {
            let error = Password::new_for(text, &email()).expect_err(text);
            assert_eq!(error.field, "password");
            assert!(error.reason.contains(reason), "{text:?}: {}", error.reason);
        }
        assert!(Password::new_for("ünïcödé pässwörd", &email()).is_ok());
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let password = Password::presented("hunter2hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }
}

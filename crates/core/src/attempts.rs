//! Attempt limits: how many times a client may try something whose failure tells it something
//! (a password, an API key) or costs us something (a sign-up's Argon2 hash).
//!
//! Every limit is a set of typed [`AttemptBucket`]s charged *before* the work they guard, all or
//! none ([`RateLimiter::take`]); an attempt that does not count (the password was right, the key
//! verified) gives its tokens back ([`Attempt::did_not_count`]). So N parallel wrong passwords get
//! at most the smallest burst checked, where peeking first and charging after a failure let them
//! all through.
//!
//! Password attempts are charged to three buckets (OWASP ASVS v4 2.2.1): the account from this
//! client (tight: one client's guesses, which cannot lock the account for anyone else), the account
//! from anywhere (a soft ceiling on distributed guessing: once spent, one attempt per interval
//! rather than a lock-out), and the client on any account (credential stuffing from one place).

use std::net::{IpAddr, Ipv6Addr};

use crate::net::embedded_ipv4;

use sha2::{Digest, Sha256};

use crate::Timestamp;
use crate::api_key::{ApiKey, ApiKeyId, SecretHash};
use crate::ports::{KeyCache, KeyLookup, RateBucket, RateLimiter, StoreError};
use crate::quota::{Decision, RateRule};
use crate::user::{Email, UserId};

/// The network a request comes from, as the limits tell clients apart: an IPv4 address, or the
/// /64 prefix of an IPv6 address (one subscriber usually holds a whole /64, so counting full
/// addresses would give them 2^64 fresh buckets). IPv4-mapped IPv6 addresses count as IPv4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientNetwork(String);

impl ClientNetwork {
    /// The network of `ip`; `None` (the address could not be read) is one shared network. An IPv6
    /// address that stands for an IPv4 address ([`crate::net::embedded_ipv4`]: mapped, translated,
    /// compatible, NAT64, 6to4) counts as that IPv4 address, so one IPv4 holder does not get a
    /// fresh bucket per 6to4 /64.
    pub fn of(ip: Option<IpAddr>) -> Self {
        let ip = ip.map(|ip| match ip {
            IpAddr::V6(v6) => embedded_ipv4(v6).map_or(ip, IpAddr::V4),
            v4 => v4,
        });
        let name = match ip {
            Some(IpAddr::V4(v4)) => v4.to_string(),
            Some(IpAddr::V6(v6)) => {
                let [a, b, c, d, ..] = v6.segments();
                format!("{}/64", Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
            None => "unknown".to_owned(),
        };
        Self(name)
    }

    /// As written in bucket names: `203.0.113.7`, `2001:db8:1:2::/64` or `unknown`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which account a password attempt is for, as a SHA-256 digest of the normalised address, so
/// that the limiter's keys hold no personal data. Every text that is not an address shares one
/// digest: no account can be guessed through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDigest(String);

impl AccountDigest {
    /// The digest of an account's address.
    pub fn of(email: &Email) -> Self {
        Self(hex::encode(Sha256::digest(email.as_str().as_bytes())))
    }

    /// The digest of an address as a client typed it.
    pub fn of_presented(text: &str) -> Self {
        match Email::parse(text) {
            Ok(email) => Self::of(&email),
            Err(_) => Self("not-an-address".to_owned()),
        }
    }
}

/// Each kind of bucket an attempt can be charged to, named once here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptBucket {
    /// API keys that failed to verify, per client network.
    KeyVerification(ClientNetwork),
    /// Password attempts on any account from one client network.
    PasswordClient(ClientNetwork),
    /// Password attempts on one account from anywhere.
    PasswordAccount(AccountDigest),
    /// Password attempts on one account from one client network.
    PasswordAccountClient(AccountDigest, ClientNetwork),
    /// Sign-ups from one client network.
    SignUp(ClientNetwork),
    /// Changes of one account's address (each tells whether an address was free).
    EmailChange(UserId),
}

impl AttemptBucket {
    /// The bucket's name in the store.
    pub fn name(&self) -> String {
        match self {
            Self::KeyVerification(client) => format!("authfail:{}", client.as_str()),
            Self::PasswordClient(client) => format!("password:client:{}", client.as_str()),
            Self::PasswordAccount(account) => format!("password:account:{}", account.0),
            Self::PasswordAccountClient(account, client) => {
                format!("password:account:{}:client:{}", account.0, client.as_str())
            }
            Self::SignUp(client) => format!("signup:client:{}", client.as_str()),
            Self::EmailChange(user) => format!("email-change:{}", user.as_str()),
        }
    }

    fn with(self, rule: RateRule) -> RateBucket {
        RateBucket {
            name: self.name(),
            rule,
        }
    }
}

/// The three rules password attempts (sign-in, password change, email change) are charged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordAttemptRules {
    /// One account from one client network.
    pub per_account_client: RateRule,
    /// One account from anywhere.
    pub per_account: RateRule,
    /// Any account from one client network.
    pub per_client: RateRule,
}

impl PasswordAttemptRules {
    /// The buckets one attempt on `account` from `client` is charged to.
    pub fn buckets(&self, account: &AccountDigest, client: &ClientNetwork) -> Vec<RateBucket> {
        vec![
            AttemptBucket::PasswordAccountClient(account.clone(), client.clone())
                .with(self.per_account_client),
            AttemptBucket::PasswordAccount(account.clone()).with(self.per_account),
            AttemptBucket::PasswordClient(client.clone()).with(self.per_client),
        ]
    }
}

/// Why an attempt may not be made.
#[derive(Debug, thiserror::Error)]
pub enum AttemptRefused {
    /// A bucket is empty: retry after `decision.retry_after_us`.
    #[error("too many attempts; retry later")]
    Limited(Decision),
    /// The limiter's store failed: the attempt is not made (a limit that cannot be checked is
    /// not waived).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An attempt that has been charged to its buckets. Dropping it keeps the charge (the attempt
/// counted); [`did_not_count`](Self::did_not_count) gives it back.
#[derive(Debug)]
#[must_use = "an attempt that did not count must give its tokens back"]
pub struct Attempt {
    buckets: Vec<RateBucket>,
    now: Timestamp,
    /// Whether the buckets hold this attempt's token.
    charged: bool,
}

impl Attempt {
    /// Charges one attempt to every bucket, or refuses it without charging any.
    pub async fn begin<L: RateLimiter>(
        limiter: &L,
        buckets: Vec<RateBucket>,
        now: Timestamp,
    ) -> Result<Self, AttemptRefused> {
        let decision = limiter.take(&buckets, now).await?;
        if decision.rejected.is_some() {
            return Err(AttemptRefused::Limited(decision));
        }
        Ok(Self {
            buckets,
            now,
            charged: true,
        })
    }

    /// Charges one password attempt on `account` from `client`.
    pub async fn password<L: RateLimiter>(
        limiter: &L,
        rules: &PasswordAttemptRules,
        account: &AccountDigest,
        client: &ClientNetwork,
        now: Timestamp,
    ) -> Result<Self, AttemptRefused> {
        Self::begin(limiter, rules.buckets(account, client), now).await
    }

    /// Charges one key verification from `client`.
    pub async fn key_verification<L: RateLimiter>(
        limiter: &L,
        rule: RateRule,
        client: ClientNetwork,
        now: Timestamp,
    ) -> Result<Self, AttemptRefused> {
        Self::begin(
            limiter,
            vec![AttemptBucket::KeyVerification(client).with(rule)],
            now,
        )
        .await
    }

    /// One key verification from `client`, with key `id` read from `cache` in the same round
    /// trip (`None` when not cached). Charged unless `presented` matched the cached record
    /// ([`KeyCache::take_and_find_key`]); such an attempt that then [`counts`](Self::counts)
    /// is charged then.
    pub async fn key_verification_with_cached_key<C: KeyCache>(
        cache: &C,
        rule: RateRule,
        client: ClientNetwork,
        id: &ApiKeyId,
        presented: &SecretHash,
        now: Timestamp,
    ) -> Result<(Self, Option<ApiKey>), AttemptRefused> {
        let buckets = Self::key_verification_buckets(rule, client);
        let lookup = cache.take_and_find_key(&buckets, id, presented, now).await?;
        Self::from_key_lookup(buckets, lookup, now)
    }

    /// The buckets a key verification from `client` is charged to.
    pub fn key_verification_buckets(rule: RateRule, client: ClientNetwork) -> Vec<RateBucket> {
        vec![AttemptBucket::KeyVerification(client).with(rule)]
    }

    /// The attempt `lookup` (a [`KeyCache::take_and_find_key`] on `buckets`) began, with the
    /// cached record; refused when the buckets refused.
    pub fn from_key_lookup(
        buckets: Vec<RateBucket>,
        lookup: KeyLookup,
        now: Timestamp,
    ) -> Result<(Self, Option<ApiKey>), AttemptRefused> {
        if lookup.decision.rejected.is_some() {
            return Err(AttemptRefused::Limited(lookup.decision));
        }
        let attempt = Self {
            buckets,
            now,
            charged: lookup.charged,
        };
        Ok((attempt, lookup.cached))
    }

    /// Charges one change of `user`'s address. Every change counts, the right password
    /// notwithstanding: each one tells its account whether the new address was free.
    pub async fn email_change<L: RateLimiter>(
        limiter: &L,
        rule: RateRule,
        user: UserId,
        now: Timestamp,
    ) -> Result<Self, AttemptRefused> {
        Self::begin(limiter, vec![AttemptBucket::EmailChange(user).with(rule)], now).await
    }

    /// Charges one sign-up from `client` (every sign-up counts: each costs a hash).
    pub async fn sign_up<L: RateLimiter>(
        limiter: &L,
        rule: RateRule,
        client: ClientNetwork,
        now: Timestamp,
    ) -> Result<Self, AttemptRefused> {
        Self::begin(limiter, vec![AttemptBucket::SignUp(client).with(rule)], now).await
    }

    /// The attempt counted (a wrong password, an unknown key): the tokens stay taken.
    pub fn counted(self) {
        debug_assert!(
            self.charged,
            "an uncharged attempt that counts must be charged: counts()"
        );
    }

    /// The attempt counted: its tokens stay taken, or are taken now if it was not charged (a
    /// right secret whose key was then refused). A charge that fails errs on the lenient side:
    /// the secret was right.
    pub async fn counts<L: RateLimiter>(self, limiter: &L) {
        if !self.charged {
            let _ = limiter.take(&self.buckets, self.now).await;
        }
    }

    /// The attempt did not count (the secret was right, or the work failed for a reason of
    /// ours): its tokens go back to every bucket (if they were taken).
    pub async fn did_not_count<L: RateLimiter>(self, limiter: &L) -> Result<(), StoreError> {
        if !self.charged {
            return Ok(());
        }
        limiter.give_back(&self.buckets, self.now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(text: &str) -> String {
        ClientNetwork::of(Some(text.parse().unwrap())).as_str().to_owned()
    }

    #[test]
    fn ipv6_clients_are_told_apart_by_their_64_bit_prefix_and_ipv4_by_address() {
        assert_eq!(network("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(network("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_ne!(network("2001:db8:1:3::1"), network("2001:db8:1:2::1"));
        assert_eq!(network("203.0.113.7"), "203.0.113.7");
        assert_ne!(network("203.0.113.7"), network("203.0.113.8"));
        assert_eq!(
            network("::ffff:203.0.113.7"),
            "203.0.113.7",
            "mapped IPv4 is IPv4"
        );
        assert_eq!(ClientNetwork::of(None).as_str(), "unknown");
    }

    #[test]
    fn an_account_digest_names_the_normalised_address_and_holds_no_address() {
        let typed = AccountDigest::of_presented("  Ada@Example.COM ");
        assert_eq!(
            typed,
            AccountDigest::of(&Email::parse("ada@example.com").unwrap())
        );
        assert!(!typed.0.contains("ada"));
        assert_eq!(
            AccountDigest::of_presented("not an address"),
            AccountDigest::of_presented("also@not")
        );
    }

    #[test]
    fn every_bucket_kind_has_its_own_name_space() {
        let client = ClientNetwork::of(Some("203.0.113.7".parse().unwrap()));
        let account = AccountDigest::of_presented("ada@example.com");
        let names: Vec<String> = [
            AttemptBucket::KeyVerification(client.clone()),
            AttemptBucket::PasswordClient(client.clone()),
            AttemptBucket::PasswordAccount(account.clone()),
            AttemptBucket::PasswordAccountClient(account, client.clone()),
            AttemptBucket::SignUp(client),
            AttemptBucket::EmailChange(UserId::from_random([1; 8])),
        ]
        .iter()
        .map(AttemptBucket::name)
        .collect();
        let unique: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}

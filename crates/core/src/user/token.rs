//! User access tokens: short-lived HS256 JWTs with `role=user`, signed with their own secret.
//!
//! Validated by the same verification as admin tokens ([`crate::hs256`]): algorithm pinned,
//! `exp`, `iat` and `sub` required, `nbf` honoured, lifetime bounded. They are kept apart from admin tokens both ways: a
//! different secret (the settings refuse the admin one), and a role each side insists on.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use super::UserId;
use crate::admin_auth::MIN_SECRET_BYTES;
use crate::hs256::{Expected, Refusal, TimeClaims};
use crate::{DomainError, Timestamp};

/// The role every user token carries.
pub const USER_ROLE: &str = "user";
/// Access token lifetime unless `user_access_ttl_seconds` says otherwise: short, since a refresh
/// is cheap and an access token cannot be revoked.
pub const DEFAULT_ACCESS_TTL_SECONDS: i64 = 15 * 60;
/// Longest configurable access token lifetime.
pub const MAX_ACCESS_TTL_SECONDS: i64 = 24 * 60 * 60;

/// How user tokens are signed and checked.
#[derive(Clone)]
pub struct UserAuthConfig {
    secret: Vec<u8>,
    issuer: Option<String>,
    audience: Option<String>,
    access_ttl_seconds: i64,
}

impl std::fmt::Debug for UserAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAuthConfig")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl_seconds", &self.access_ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl UserAuthConfig {
    /// Signs and checks with `secret` (`user_jwt_secret`, at least 32 bytes, not a placeholder).
    pub fn new(secret: &[u8]) -> Result<Self, DomainError> {
        crate::secret_quality::check_secret("user_jwt_secret", secret, MIN_SECRET_BYTES)?;
        Ok(Self {
            secret: secret.to_vec(),
            issuer: None,
            audience: None,
            access_ttl_seconds: DEFAULT_ACCESS_TTL_SECONDS,
        })
    }

    /// Whether `other` is this config's secret: the settings refuse to sign user tokens with the
    /// admin secret.
    pub fn uses_secret(&self, other: &[u8]) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(self.secret.as_slice().ct_eq(other))
    }

    /// Access tokens live `seconds` (1 s to 24 h).
    pub fn with_access_ttl_seconds(mut self, seconds: i64) -> Result<Self, DomainError> {
        if !(1..=MAX_ACCESS_TTL_SECONDS).contains(&seconds) {
            return Err(DomainError::invalid(
                "user_access_ttl_seconds",
                "must be from 1 to 86400",
            ));
        }
        self.access_ttl_seconds = seconds;
        Ok(self)
    }

    /// Writes and requires `iss`.
    pub fn with_issuer(mut self, issuer: Option<String>) -> Self {
        self.issuer = issuer;
        self
    }

    /// Writes and requires `aud`.
    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience;
        self
    }

    /// How long access tokens live, in seconds.
    pub fn access_ttl_seconds(&self) -> i64 {
        self.access_ttl_seconds
    }
}

/// The claims of a user token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserClaims {
    /// The user's id.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// Not before: we never write it, but a token carrying it is not accepted earlier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Always `user`.
    pub role: String,
    /// Issuer, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// The account's session epoch when the token was issued: once the account ends its
    /// sessions (password change, disable) the token is refused before it expires. Tokens from
    /// before the claim existed read as epoch 0, every account's first.
    #[serde(default)]
    pub sep: i64,
}

impl TimeClaims for UserClaims {
    fn expires(&self) -> i64 {
        self.exp
    }
    fn not_before(&self) -> Option<i64> {
        self.nbf
    }
    fn issued_at(&self) -> Option<i64> {
        Some(self.iat)
    }
}

/// Whom a valid access token names: the account and the session epoch it was issued in (the
/// routes compare it with the account's, which they read anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser {
    /// The account.
    pub id: UserId,
    /// Its session epoch when the token was issued.
    pub session_epoch: i64,
}

/// Why a bearer token is not a valid user token. Every case is a 401: a client learns no more
/// than "sign in again".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserAuthError {
    /// No bearer token.
    #[error("a bearer token is required")]
    Missing,
    /// Bad signature, algorithm, claims, role, issuer or audience.
    #[error("the token is not valid")]
    Invalid,
    /// Past `exp`.
    #[error("the token has expired")]
    Expired,
}

/// An access token for `user`, good while the account stays at `session_epoch`, and when it
/// expires.
pub fn issue_user_token(
    config: &UserAuthConfig,
    user: &UserId,
    session_epoch: i64,
    now: Timestamp,
) -> Result<(String, Timestamp), DomainError> {
    let iat = now.as_millis().div_euclid(1000);
    let exp = iat.saturating_add(config.access_ttl_seconds);
    let claims = UserClaims {
        sub: user.to_string(),
        exp,
        iat,
        nbf: None,
        role: USER_ROLE.to_owned(),
        iss: config.issuer.clone(),
        aud: config.audience.clone(),
        sep: session_epoch,
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&config.secret),
    )
    .map_err(|e| DomainError::invalid("token", format!("could not be signed: {e}")))?;
    Ok((token, Timestamp::from_millis(exp.saturating_mul(1000))))
}

/// Validates a user token at `now`; returns whose it is.
pub fn authenticate_user(
    config: &UserAuthConfig,
    token: &str,
    now: Timestamp,
) -> Result<AuthenticatedUser, UserAuthError> {
    // `iat` is required by the claim type (not an `Option`).
    let expected = Expected {
        audience: config.audience.as_deref(),
        issuer: config.issuer.as_deref(),
    };
    // One secret: a `kid` header, which we never write, selects nothing else.
    let secret_for = |_kid: Option<&str>| Some(config.secret.as_slice());
    let claims: UserClaims =
        crate::hs256::verify(token, secret_for, &expected, now).map_err(|refusal| match refusal {
            Refusal::Expired => UserAuthError::Expired,
            // A token "issued" in the future was not made here.
            Refusal::Invalid | Refusal::IssuedInTheFuture => UserAuthError::Invalid,
        })?;
    if claims.role != USER_ROLE {
        return Err(UserAuthError::Invalid);
    }
    // A token living longer than any we issue was not made here.
    if claims.exp.saturating_sub(claims.iat) > MAX_ACCESS_TTL_SECONDS {
        return Err(UserAuthError::Invalid);
    }
    Ok(AuthenticatedUser {
        id: UserId::parse(&claims.sub).map_err(|_| UserAuthError::Invalid)?,
        session_epoch: claims.sep,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin_auth::{
        AdminAuthConfig, AuthError, TokenRequest, authenticate_admin, issue_admin_token,
    };
    use crate::hs256::LEEWAY_SECONDS;

    const USER_SECRET: &[u8] = b"user-secret-0123456789-abcdefghijklmnop";
    const ADMIN_SECRET: &[u8] = b"admin-secret-9876543210-zyxwvutsrqponml";
    const NOW: Timestamp = Timestamp::from_millis(1_700_000_000_000);

    fn config() -> UserAuthConfig {
        UserAuthConfig::new(USER_SECRET).unwrap()
    }

    #[test]
    fn a_user_token_authenticates_its_user_until_it_expires() {
        let user = UserId::from_random([1; 8]);
        let (token, expires_at) = issue_user_token(&config(), &user, 7, NOW).unwrap();
        assert_eq!(expires_at, NOW.plus_seconds(DEFAULT_ACCESS_TTL_SECONDS));
        assert_eq!(
            authenticate_user(&config(), &token, NOW),
            Ok(AuthenticatedUser {
                id: user,
                session_epoch: 7
            })
        );
        let later = NOW.plus_seconds(DEFAULT_ACCESS_TTL_SECONDS + LEEWAY_SECONDS);
        assert_eq!(
            authenticate_user(&config(), &token, later),
            Err(UserAuthError::Expired)
        );
    }

    #[test]
    fn an_admin_token_is_never_a_user_token_even_with_the_same_secret() {
        let request = TokenRequest {
            sub: "usr_0101010101010101",
            ttl_seconds: 600,
            max_ttl_seconds: 3600,
            kid: None,
            issuer: None,
            audience: None,
        };
        let admin = issue_admin_token(ADMIN_SECRET, &request, NOW).unwrap();
        assert_eq!(
            authenticate_user(&config(), &admin, NOW),
            Err(UserAuthError::Invalid)
        );
        let same_secret = issue_admin_token(USER_SECRET, &request, NOW).unwrap();
        assert_eq!(
            authenticate_user(&config(), &same_secret, NOW),
            Err(UserAuthError::Invalid)
        );
    }

    #[test]
    fn a_user_token_is_never_an_admin_token_even_with_the_same_secret() {
        let (token, _) = issue_user_token(&config(), &UserId::from_random([2; 8]), 0, NOW).unwrap();
        let admin = AdminAuthConfig::new(ADMIN_SECRET, None).unwrap();
        assert_eq!(authenticate_admin(&admin, &token, NOW), Err(AuthError::Invalid));
        let same_secret = AdminAuthConfig::new(USER_SECRET, None).unwrap();
        assert_eq!(
            authenticate_admin(&same_secret, &token, NOW),
            Err(AuthError::NotAdmin)
        );
    }

    #[test]
    fn tampered_or_foreign_tokens_are_invalid() {
        let (token, _) = issue_user_token(&config(), &UserId::from_random([3; 8]), 0, NOW).unwrap();
        let other = UserAuthConfig::new(b"another-user-secret-0123456789-abcdefgh").unwrap();
        assert_eq!(
            authenticate_user(&other, &token, NOW),
            Err(UserAuthError::Invalid)
        );
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(
            authenticate_user(&config(), &tampered, NOW),
            Err(UserAuthError::Invalid)
        );
        assert_eq!(
            authenticate_user(&config(), "not.a.jwt", NOW),
            Err(UserAuthError::Invalid)
        );
        let audience = config().with_audience(Some("users".into()));
        assert_eq!(
            authenticate_user(&audience, &token, NOW),
            Err(UserAuthError::Invalid)
        );
    }

    #[test]
    fn a_user_token_is_refused_before_its_not_before_time() {
        let user = UserId::from_random([4; 8]);
        let now_seconds = NOW.as_millis() / 1000;
        let claims = UserClaims {
            sub: user.to_string(),
            exp: now_seconds + 600,
            iat: now_seconds,
            nbf: Some(now_seconds + 120),
            role: USER_ROLE.into(),
            iss: None,
            aud: None,
            sep: 0,
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(USER_SECRET),
        )
        .unwrap();
        assert_eq!(
            authenticate_user(&config(), &token, NOW),
            Err(UserAuthError::Invalid)
        );
        assert_eq!(
            authenticate_user(&config(), &token, NOW.plus_seconds(120)).map(|u| u.id),
            Ok(user)
        );
    }

    #[test]
    fn weak_or_placeholder_secrets_are_refused() {
        assert!(UserAuthConfig::new(b"short").is_err());
        assert!(UserAuthConfig::new(&[b'a'; 40]).is_err());
        assert!(config().uses_secret(USER_SECRET));
        assert!(!config().uses_secret(ADMIN_SECRET));
    }
}

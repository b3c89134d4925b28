//! Admin authentication: HS256 JWTs, fully validated, with two secrets during a rotation.
//!
//! The algorithm is pinned to HS256 (no `none`, no switching to RS256 with the secret as a "public
//! key"); `exp`, `iat` and `sub` are required, and `exp - iat` may not exceed the configured
//! maximum lifetime (default 24 h), so a leaked token cannot be minted to live for years; `role` must be `admin`; `iss`/`aud` are checked when
//! configured. The signature and time checks are [`crate::hs256`]'s, shared with user tokens.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

pub use crate::hs256::LEEWAY_SECONDS;
use crate::hs256::{Expected, Refusal, TimeClaims};
use crate::{DomainError, Timestamp};

/// Shortest accepted secret: HS256 is only as strong as its key (RFC 7518 §3.2).
pub const MIN_SECRET_BYTES: usize = 32;
/// Longest lifetime (`exp - iat`) accepted unless `jwt_max_ttl_seconds` says otherwise.
pub const DEFAULT_MAX_TTL_SECONDS: i64 = 24 * 60 * 60;
/// The role a token must carry.
pub const ADMIN_ROLE: &str = "admin";

/// One accepted signing secret, selected by the token's `kid` header.
#[derive(Clone)]
struct SigningSecret {
    kid: Option<String>,
    secret: Vec<u8>,
}

/// What the admin API accepts.
#[derive(Clone)]
pub struct AdminAuthConfig {
    secrets: Vec<SigningSecret>,
    issuer: Option<String>,
    audience: Option<String>,
    max_ttl_seconds: i64,
}

impl std::fmt::Debug for AdminAuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<_> = self.secrets.iter().map(|s| s.kid.as_deref()).collect();
        f.debug_struct("AdminAuthConfig")
            .field("kids", &kids)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("max_ttl_seconds", &self.max_ttl_seconds)
            .finish_non_exhaustive()
    }
}

impl AdminAuthConfig {
    /// Accepts tokens signed with `secret`; with `kid`, tokens must name it (or name no kid).
    pub fn new(secret: &[u8], kid: Option<String>) -> Result<Self, DomainError> {
        Ok(Self {
            secrets: vec![checked_secret("jwt_secret", secret, kid)?],
            issuer: None,
            audience: None,
            max_ttl_seconds: DEFAULT_MAX_TTL_SECONDS,
        })
    }

    /// Also accepts tokens whose `kid` header is `kid`, signed with `secret` (the other half of a
    /// rotation).
    pub fn with_additional_secret(mut self, secret: &[u8], kid: String) -> Result<Self, DomainError> {
        if self
            .secrets
            .iter()
            .any(|s| s.kid.as_deref() == Some(kid.as_str()))
        {
            return Err(DomainError::invalid(
                "jwt_previous_kid",
                "must differ from jwt_kid",
            ));
        }
        self.secrets
            .push(checked_secret("jwt_previous_secret", secret, Some(kid))?);
        Ok(self)
    }

    /// Accepts tokens whose lifetime `exp - iat` is at most `seconds` (positive).
    pub fn with_max_ttl_seconds(mut self, seconds: i64) -> Result<Self, DomainError> {
        if seconds <= 0 {
            return Err(DomainError::invalid("jwt_max_ttl_seconds", "must be positive"));
        }
        self.max_ttl_seconds = seconds;
        Ok(self)
    }

    /// The longest token lifetime accepted, in seconds.
    pub fn max_ttl_seconds(&self) -> i64 {
        self.max_ttl_seconds
    }

    /// Requires `iss` to equal `issuer`.
    pub fn with_issuer(mut self, issuer: Option<String>) -> Self {
        self.issuer = issuer;
        self
    }

    /// Requires `aud` to contain `audience`.
    pub fn with_audience(mut self, audience: Option<String>) -> Self {
        self.audience = audience;
        self
    }

    fn secret_for(&self, kid: Option<&str>) -> Option<&SigningSecret> {
        match kid {
            Some(kid) => self.secrets.iter().find(|s| s.kid.as_deref() == Some(kid)),
            None => self.secrets.first(),
        }
    }
}

fn checked_secret(
    field: &'static str,
    secret: &[u8],
    kid: Option<String>,
) -> Result<SigningSecret, DomainError> {
    crate::secret_quality::check_secret(field, secret, MIN_SECRET_BYTES)?;
    Ok(SigningSecret {
        kid,
        secret: secret.to_vec(),
    })
}

/// The claims hexaspin reads and writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminClaims {
    /// Who: written to the audit log.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// Must be `admin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Who issued the token (`iss`), checked when `jwt_issuer` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Whom the token is for (`aud`), checked when `jwt_audience` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
}

/// Why a request is not an authenticated admin's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No bearer token. 401.
    #[error("an admin bearer token is required")]
    Missing,
    /// Bad signature, algorithm, claims, kid, issuer or audience. 401.
    #[error("the token is not valid")]
    Invalid,
    /// Past `exp`. 401.
    #[error("the token has expired")]
    Expired,
    /// Issued without `iat` or for longer than the maximum lifetime. 401.
    #[error("the token's lifetime (exp - iat) is missing or longer than allowed")]
    LifetimeTooLong,
    /// Valid, but not an admin's. 403.
    #[error("the token does not carry the admin role")]
    NotAdmin,
}

impl TimeClaims for AdminClaims {
    fn expires(&self) -> i64 {
        self.exp
    }
    fn not_before(&self) -> Option<i64> {
        self.nbf
    }
    fn issued_at(&self) -> Option<i64> {
        self.iat
    }
}

/// Validates `token` at `now` and returns its claims if it belongs to an admin.
pub fn authenticate_admin(
    config: &AdminAuthConfig,
    token: &str,
    now: Timestamp,
) -> Result<AdminClaims, AuthError> {
    // `iat` is checked below rather than required here, so that a token without it is told why.
    let expected = Expected {
        audience: config.audience.as_deref(),
        issuer: config.issuer.as_deref(),
    };
    let secret_for = |kid: Option<&str>| config.secret_for(kid).map(|s| s.secret.as_slice());
    let claims: AdminClaims =
        crate::hs256::verify(token, secret_for, &expected, now).map_err(|refusal| match refusal {
            Refusal::Invalid => AuthError::Invalid,
            Refusal::Expired => AuthError::Expired,
            // A token "issued" in the future would stretch its real lifetime past the maximum.
            Refusal::IssuedInTheFuture => AuthError::LifetimeTooLong,
        })?;
    let Some(iat) = claims.iat else {
        return Err(AuthError::LifetimeTooLong);
    };
    if claims.exp.saturating_sub(iat) > config.max_ttl_seconds {
        return Err(AuthError::LifetimeTooLong);
    }
    if claims.sub.trim().is_empty() {
        return Err(AuthError::Invalid);
    }
    if claims.role.as_deref() != Some(ADMIN_ROLE) {
        return Err(AuthError::NotAdmin);
    }
    Ok(claims)
}

/// What to put in a new admin token.
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    /// Subject (the admin's name).
    pub sub: &'a str,
    /// Lifetime in seconds.
    pub ttl_seconds: i64,
    /// The longest lifetime the verifying side accepts (its `jwt_max_ttl_seconds`); a longer
    /// `ttl_seconds` is refused rather than minting a token that would be rejected.
    pub max_ttl_seconds: i64,
    /// `kid` header, selecting the secret on the verifying side.
    pub kid: Option<&'a str>,
    /// `iss` claim.
    pub issuer: Option<&'a str>,
    /// `aud` claim.
    pub audience: Option<&'a str>,
}

/// Signs an admin token with `secret` (at least 32 bytes).
pub fn issue_admin_token(
    secret: &[u8],
    request: &TokenRequest<'_>,
    now: Timestamp,
) -> Result<String, DomainError> {
    checked_secret("JWT_SECRET", secret, None)?;
    if request.sub.trim().is_empty() {
        return Err(DomainError::invalid("sub", "must not be empty"));
    }
    if request.ttl_seconds <= 0 {
        return Err(DomainError::invalid("ttl", "must be positive"));
    }
    if request.ttl_seconds > request.max_ttl_seconds {
        return Err(DomainError::invalid(
            "ttl",
            format!(
                "must be at most {} seconds (jwt_max_ttl_seconds)",
                request.max_ttl_seconds
            ),
        ));
    }
    let iat = now.as_millis().div_euclid(1000);
    let claims = AdminClaims {
        sub: request.sub.to_owned(),
        exp: iat.saturating_add(request.ttl_seconds),
        iat: Some(iat),
        nbf: None,
        role: Some(ADMIN_ROLE.to_owned()),
        iss: request.issuer.map(str::to_owned),
        aud: request.audience.map(str::to_owned),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.kid = request.kid.map(str::to_owned);
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret))
        .map_err(|e| DomainError::invalid("token", format!("could not be signed: {e}")))
}

#[cfg(test)]
mod tests;

//! The one HS256 JWT verification that admin tokens ([`crate::admin_auth`]) and user tokens
//! ([`crate::user::token`]) share, so that a fix to it reaches both.
//!
//! It pins the algorithm (no `none`, no RS256 with the secret as a "public key"), picks the secret
//! by the `kid` header, checks the signature, requires `exp` and `sub`, checks `iss` and `aud` when
//! configured, and the time claims against the `now` it is given (never the library's own clock),
//! with [`LEEWAY_SECONDS`] of clock skew: expired, not yet valid (`nbf`) and issued in the future
//! (`iat`) are refused. What each kind of token adds (its role, its lifetime bound, its subject's
//! form) stays with that kind.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;

use crate::Timestamp;

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECONDS: i64 = 30;

/// The time claims of a token's claim set, as [`verify`] checks them.
pub(crate) trait TimeClaims {
    /// `exp`, seconds since the epoch (a required claim).
    fn expires(&self) -> i64;
    /// `nbf`, when the token carries one.
    fn not_before(&self) -> Option<i64>;
    /// `iat`, when the token carries one.
    fn issued_at(&self) -> Option<i64>;
}

/// What a token must carry beyond a valid signature, `exp` and `sub`. (jsonwebtoken can require
/// only `exp`, `nbf`, `aud`, `iss` and `sub`: a kind of token that needs `iat` says so in its
/// claim type, with a field that is not an `Option`, or checks it itself.)
pub(crate) struct Expected<'a> {
    /// When set, `aud` must contain it.
    pub audience: Option<&'a str>,
    /// When set, `iss` must equal it.
    pub issuer: Option<&'a str>,
}

/// Why [`verify`] refused a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Malformed, another algorithm, an unknown `kid`, a bad signature, a missing or wrong claim,
    /// or not valid yet (`nbf`).
    Invalid,
    /// Past `exp` (plus the leeway).
    Expired,
    /// `iat` is later than `now` (plus the leeway): the token would outlive its stated lifetime.
    IssuedInTheFuture,
}

/// Verifies `token` at `now` with the secret `secret_for` picks for its `kid` header (`None`:
/// no secret for it, which refuses the token), and returns its claims.
pub(crate) fn verify<'s, C: DeserializeOwned + TimeClaims>(
    token: &str,
    secret_for: impl FnOnce(Option<&str>) -> Option<&'s [u8]>,
    expected: &Expected<'_>,
    now: Timestamp,
) -> Result<C, Refusal> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| Refusal::Invalid)?;
    if header.alg != Algorithm::HS256 {
        return Err(Refusal::Invalid);
    }
    let secret = secret_for(header.kid.as_deref()).ok_or(Refusal::Invalid)?;
    let claims = jsonwebtoken::decode::<C>(token, &DecodingKey::from_secret(secret), &validation(expected))
        .map_err(|_| Refusal::Invalid)?
        .claims;
    let now_seconds = now.as_millis().div_euclid(1000);
    if claims.expires().saturating_add(LEEWAY_SECONDS) <= now_seconds {
        return Err(Refusal::Expired);
    }
    if claims
        .not_before()
        .is_some_and(|nbf| nbf.saturating_sub(LEEWAY_SECONDS) > now_seconds)
    {
        return Err(Refusal::Invalid);
    }
    if claims
        .issued_at()
        .is_some_and(|iat| iat.saturating_sub(LEEWAY_SECONDS) > now_seconds)
    {
        return Err(Refusal::IssuedInTheFuture);
    }
    Ok(claims)
}

/// HS256 only, `exp` and `sub` present, `aud`/`iss` required and checked when configured.
/// Expiry and not-before are left to [`verify`], which checks them against its `now`.
fn validation(expected: &Expected<'_>) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["exp", "sub"]);
    match expected.audience {
        Some(audience) => {
            validation.set_audience(&[audience]);
            validation.required_spec_claims.insert("aud".into());
        }
        None => validation.validate_aud = false,
    }
    if let Some(issuer) = expected.issuer {
        validation.set_issuer(&[issuer]);
        validation.required_spec_claims.insert("iss".into());
    }
    validation
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use serde::{Deserialize, Serialize};

    use super::*;

    const SECRET: &[u8] = b"hs256-test-secret-0123456789-abcdefghij";
    const NOW_SECONDS: i64 = 1_700_000_000;
    const NOW: Timestamp = Timestamp::from_millis(NOW_SECONDS * 1000);

    #[derive(Debug, Serialize, Deserialize)]
    struct Claims {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sub: Option<String>,
        exp: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nbf: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        iat: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        iss: Option<String>,
    }

    impl TimeClaims for Claims {
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

    fn token(header: Header, claims: &Claims) -> String {
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(SECRET)).expect("sign")
    }

    fn claims(exp: i64, nbf: Option<i64>, iat: Option<i64>) -> Claims {
        Claims {
            sub: Some("someone".into()),
            exp,
            nbf,
            iat,
            iss: None,
        }
    }

    const NOTHING_MORE: Expected<'static> = Expected {
        audience: None,
        issuer: None,
    };

    fn check(token: &str) -> Result<Claims, Refusal> {
        verify(token, |_| Some(SECRET), &NOTHING_MORE, NOW)
    }

    #[test]
    fn a_token_is_accepted_within_its_time_claims_and_their_leeway() {
        let fresh = token(
            Header::default(),
            &claims(NOW_SECONDS + 60, Some(NOW_SECONDS + 29), Some(NOW_SECONDS + 29)),
        );
        assert_eq!(check(&fresh).map(|c| c.sub), Ok(Some("someone".into())));
        let just_expired = token(Header::default(), &claims(NOW_SECONDS - 30, None, None));
        assert_eq!(check(&just_expired).map(|_| ()), Err(Refusal::Expired));
    }

    #[test]
    fn a_token_not_valid_yet_or_issued_in_the_future_is_refused() {
        let early = token(
            Header::default(),
            &claims(NOW_SECONDS + 600, Some(NOW_SECONDS + 31), None),
        );
        assert_eq!(check(&early).map(|_| ()), Err(Refusal::Invalid));
        let future = token(
            Header::default(),
            &claims(NOW_SECONDS + 600, None, Some(NOW_SECONDS + 31)),
        );
        assert_eq!(check(&future).map(|_| ()), Err(Refusal::IssuedInTheFuture));
    }

    #[test]
    fn another_algorithm_an_unknown_kid_or_a_missing_claim_is_refused() {
        let fresh = claims(NOW_SECONDS + 60, None, None);
        let hs512 = token(Header::new(Algorithm::HS512), &fresh);
        assert_eq!(check(&hs512).map(|_| ()), Err(Refusal::Invalid));
        let unknown_kid = verify::<Claims>(&token(Header::default(), &fresh), |_| None, &NOTHING_MORE, NOW);
        assert_eq!(unknown_kid.map(|_| ()), Err(Refusal::Invalid));
        let without_sub = Claims { sub: None, ..fresh };
        assert_eq!(
            check(&token(Header::default(), &without_sub)).map(|_| ()),
            Err(Refusal::Invalid)
        );
        let for_the_api = Expected {
            audience: Some("api"),
            issuer: None,
        };
        let without_aud = verify::<Claims>(
            &token(Header::default(), &claims(NOW_SECONDS + 60, None, None)),
            |_| Some(SECRET),
            &for_the_api,
            NOW,
        );
        assert_eq!(without_aud.map(|_| ()), Err(Refusal::Invalid));
    }

    #[test]
    fn another_secret_or_another_issuer_is_refused() {
        let fresh = token(Header::default(), &claims(NOW_SECONDS + 60, None, None));
        let other_secret = b"another-hs256-secret-0123456789-abcdefgh";
        let signed_elsewhere = verify::<Claims>(&fresh, |_| Some(other_secret), &NOTHING_MORE, NOW);
        assert_eq!(signed_elsewhere.map(|_| ()), Err(Refusal::Invalid));
        let from_us = Expected {
            audience: None,
            issuer: Some("hexaspin"),
        };
        let mut claims = claims(NOW_SECONDS + 60, None, None);
        let unissued = verify::<Claims>(&fresh, |_| Some(SECRET), &from_us, NOW);
        assert_eq!(unissued.map(|_| ()), Err(Refusal::Invalid), "no iss at all");
        claims.iss = Some("someone-else".into());
        let foreign = token(Header::default(), &claims);
        let refused = verify::<Claims>(&foreign, |_| Some(SECRET), &from_us, NOW);
        assert_eq!(refused.map(|_| ()), Err(Refusal::Invalid), "another iss");
        claims.iss = Some("hexaspin".into());
        let ours = token(Header::default(), &claims);
        assert!(verify::<Claims>(&ours, |_| Some(SECRET), &from_us, NOW).is_ok());
    }
}

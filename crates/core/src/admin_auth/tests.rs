use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const OTHER: &[u8] = b"fedcba9876543210fedcba9876543210";
const NOW: Timestamp = Timestamp::from_millis(1_795_000_000_000);

fn config() -> AdminAuthConfig {
    AdminAuthConfig::new(SECRET, None).unwrap()
}

fn token(request: TokenRequest<'_>) -> String {
    issue_admin_token(SECRET, &request, NOW).unwrap()
}

fn request() -> TokenRequest<'static> {
    TokenRequest {
        sub: "alice",
        ttl_seconds: 300,
        max_ttl_seconds: DEFAULT_MAX_TTL_SECONDS,
        kid: None,
        issuer: None,
        audience: None,
    }
}

fn sign_raw(header: Header, claims: serde_json::Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[test]
fn a_fresh_admin_token_is_accepted_with_its_subject() {
    let claims = authenticate_admin(&config(), &token(request()), NOW).unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.role.as_deref(), Some("admin"));
}

#[test]
fn an_expired_token_is_refused_as_expired_after_the_leeway() {
    let t = token(request());
    let just_within = NOW.plus_seconds(300 + LEEWAY_SECONDS - 1);
    assert!(authenticate_admin(&config(), &t, just_within).is_ok());
    let past = NOW.plus_seconds(300 + LEEWAY_SECONDS);
    assert_eq!(authenticate_admin(&config(), &t, past), Err(AuthError::Expired));
}

#[test]
fn a_token_signed_with_another_secret_is_invalid() {
    let t = issue_admin_token(OTHER, &request(), NOW).unwrap();
    assert_eq!(authenticate_admin(&config(), &t, NOW), Err(AuthError::Invalid));
}

#[test]
fn the_none_algorithm_is_refused() {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"sub": "eve", "exp": 1_795_000_600, "iat": 1_795_000_000, "role": "admin"}).to_string(),
    );
    let t = format!("{header}.{claims}.");
    assert_eq!(authenticate_admin(&config(), &t, NOW), Err(AuthError::Invalid));
}

#[test]
fn another_hmac_algorithm_with_the_right_secret_is_refused() {
    let claims = json!({"sub": "eve", "exp": 1_795_000_600, "iat": 1_795_000_000, "role": "admin"});
    let t = sign_raw(Header::new(Algorithm::HS512), claims, SECRET);
    assert_eq!(authenticate_admin(&config(), &t, NOW), Err(AuthError::Invalid));
}

#[test]
fn tokens_without_exp_or_sub_are_invalid() {
    let no_exp = sign_raw(Header::default(), json!({"sub": "a", "role": "admin"}), SECRET);
    let no_sub = sign_raw(
        Header::default(),
        json!({"exp": 1_795_000_600, "iat": 1_795_000_000, "role": "admin"}),
        SECRET,
    );
    let blank_sub = sign_raw(
        Header::default(),
        json!({"sub": " ", "exp": 1_795_000_600, "iat": 1_795_000_000, "role": "admin"}),
        SECRET,
    );
    for t in [no_exp, no_sub, blank_sub] {
        assert_eq!(authenticate_admin(&config(), &t, NOW), Err(AuthError::Invalid));
    }
}

#[test]
fn a_valid_token_without_the_admin_role_is_forbidden() {
    let user = sign_raw(
        Header::default(),
        json!({"sub": "bob", "exp": 1_795_000_600, "iat": 1_795_000_000, "role": "user"}),
        SECRET,
    );
    let no_role = sign_raw(
        Header::default(),
        json!({"sub": "bob", "exp": 1_795_000_600, "iat": 1_795_000_000}),
        SECRET,
    );
    assert_eq!(
        authenticate_admin(&config(), &user, NOW),
        Err(AuthError::NotAdmin)
    );
    assert_eq!(
        authenticate_admin(&config(), &no_role, NOW),
        Err(AuthError::NotAdmin)
    );
}

#[test]
fn a_token_not_yet_valid_is_refused() {
    let t = sign_raw(
        Header::default(),
        json!({"sub": "a", "exp": 1_795_000_600, "iat": 1_795_000_000, "nbf": 1_795_000_000 + 3600, "role": "admin"}),
        SECRET,
    );
    assert_eq!(authenticate_admin(&config(), &t, NOW), Err(AuthError::Invalid));
}

#[test]
fn during_a_rotation_the_kid_selects_the_secret() {
    let rotating = AdminAuthConfig::new(SECRET, Some("new".into()))
        .unwrap()
        .with_additional_secret(OTHER, "old".into())
        .unwrap();
    let old = issue_admin_token(
        OTHER,
        &TokenRequest {
            kid: Some("old"),
            ..request()
        },
        NOW,
    )
    .unwrap();
    let new = token(TokenRequest {
        kid: Some("new"),
        ..request()
    });
    let unlabelled = token(request());
    let unknown = token(TokenRequest {
        kid: Some("older"),
        ..request()
    });
    let mislabelled = token(TokenRequest {
        kid: Some("old"),
        ..request()
    });
    assert!(authenticate_admin(&rotating, &old, NOW).is_ok());
    assert!(authenticate_admin(&rotating, &new, NOW).is_ok());
    assert!(authenticate_admin(&rotating, &unlabelled, NOW).is_ok());
    assert_eq!(
        authenticate_admin(&rotating, &unknown, NOW),
        Err(AuthError::Invalid)
    );
    assert_eq!(
        authenticate_admin(&rotating, &mislabelled, NOW),
        Err(AuthError::Invalid)
    );
}

#[test]
fn issuer_and_audience_are_enforced_when_configured() {
    let strict = config()
        .with_issuer(Some("hexaspin".into()))
        .with_audience(Some("admin-api".into()));
    let good = token(TokenRequest {
        issuer: Some("hexaspin"),
        audience: Some("admin-api"),
        ..request()
    });
    let wrong_iss = token(TokenRequest {
        issuer: Some("other"),
        audience: Some("admin-api"),
        ..request()
    });
    let no_aud = token(TokenRequest {
        issuer: Some("hexaspin"),
        ..request()
    });
    assert!(authenticate_admin(&strict, &good, NOW).is_ok());
    assert_eq!(
        authenticate_admin(&strict, &wrong_iss, NOW),
        Err(AuthError::Invalid)
    );
    assert_eq!(authenticate_admin(&strict, &no_aud, NOW), Err(AuthError::Invalid));
}

#[test]
fn garbage_is_invalid_not_a_panic() {
    for t in ["", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.e30.", "\u{0}"] {
        assert_eq!(
            authenticate_admin(&config(), t, NOW),
            Err(AuthError::Invalid),
            "{t:?}"
        );
    }
}

#[test]
fn a_secret_shorter_than_32_bytes_is_a_configuration_error() {
    let err = AdminAuthConfig::new(b"short", None).unwrap_err();
    assert_eq!(err.field, "jwt_secret");
    assert!(issue_admin_token(b"short", &request(), NOW).is_err());
}

#[test]
fn a_token_without_iat_or_living_longer_than_the_maximum_is_refused() {
    let no_iat = sign_raw(
        Header::default(),
        json!({"sub": "a", "exp": 1_795_000_600, "role": "admin"}),
        SECRET,
    );
    let a_year = sign_raw(
        Header::default(),
        json!({"sub": "a", "iat": 1_795_000_000, "exp": 1_795_000_000 + 365 * 86_400, "role": "admin"}),
        SECRET,
    );
    // Claiming to be issued later than now would stretch the real lifetime past the maximum.
    let issued_in_the_future = sign_raw(
        Header::default(),
        json!({"sub": "a", "iat": 1_795_000_000 + 86_400, "exp": 1_795_000_000 + 2 * 86_400, "role": "admin"}),
        SECRET,
    );
    for t in [no_iat, a_year, issued_in_the_future] {
        assert_eq!(
            authenticate_admin(&config(), &t, NOW),
            Err(AuthError::LifetimeTooLong)
        );
    }
}

#[test]
fn the_maximum_lifetime_is_configurable_and_exactly_the_maximum_is_accepted() {
    let hour = config().with_max_ttl_seconds(3600).unwrap();
    let exactly = token(TokenRequest {
        ttl_seconds: 3600,
        ..request()
    });
    let longer = token(TokenRequest {
        ttl_seconds: 3601,
        ..request()
    });
    assert!(authenticate_admin(&hour, &exactly, NOW).is_ok());
    assert_eq!(
        authenticate_admin(&hour, &longer, NOW),
        Err(AuthError::LifetimeTooLong)
    );
    assert!(config().with_max_ttl_seconds(0).is_err());
}

#[test]
fn minting_refuses_a_lifetime_above_the_maximum() {
    let err = issue_admin_token(
        SECRET,
        &TokenRequest {
            ttl_seconds: DEFAULT_MAX_TTL_SECONDS + 1,
            ..request()
        },
        NOW,
    )
    .unwrap_err();
    assert_eq!(err.field, "ttl");
    assert!(err.reason.contains("at most 86400"), "{err}");
}

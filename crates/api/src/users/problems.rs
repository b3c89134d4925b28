//! The user service's errors as problem+json, in one place.

use hexaspin_core::metrics::Series;
use hexaspin_core::quota::Decision;
use hexaspin_core::use_cases::{AccountError, UserAdminError};
use hexaspin_core::user::UserAuthError;
use http::{StatusCode, header};

use crate::ApiError;

impl From<AccountError> for ApiError {
    fn from(error: AccountError) -> Self {
        let unauthorized = |code: &'static str, detail: String| {
            ApiError::new(StatusCode::UNAUTHORIZED, code, detail)
                .with_header(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
        };
        match error {
            AccountError::Invalid(e) => e.into(),
            AccountError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the email or password is wrong",
            ),
            AccountError::WrongPassword => {
                ApiError::new(StatusCode::FORBIDDEN, "wrong_password", error.to_string())
            }
            AccountError::AccountDisabled => {
                ApiError::new(StatusCode::FORBIDDEN, "account_disabled", error.to_string())
            }
            AccountError::InvalidRefreshToken => unauthorized("invalid_refresh_token", error.to_string()),
            AccountError::RefreshReused => {
                unauthorized("refresh_token_reused", error.to_string()).counting(Series::refresh_reuse())
            }
            AccountError::AccountGone => unauthorized("invalid_token", error.to_string()),
            AccountError::SessionEnded => unauthorized("session_ended", error.to_string()),
            AccountError::TooManyAttempts(decision) => too_many_attempts(
                &decision,
                "too many password attempts on this account or from this client; retry later",
            ),
            AccountError::ConcurrentUpdate => {
                ApiError::new(StatusCode::CONFLICT, "concurrent_update", error.to_string())
            }
            AccountError::Entropy(e) => ApiError::internal("entropy", &e),
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<UserAdminError> for ApiError {
    fn from(error: UserAdminError) -> Self {
        match error {
            UserAdminError::NotFound => ApiError::not_found(),
            UserAdminError::ConcurrentUpdate => {
                ApiError::new(StatusCode::CONFLICT, "concurrent_update", error.to_string())
            }
            UserAdminError::Store(e) => e.into(),
        }
    }
}

impl From<UserAuthError> for ApiError {
    fn from(error: UserAuthError) -> Self {
        let (code, challenge) = match error {
            UserAuthError::Missing => ("missing_token", "Bearer"),
            UserAuthError::Invalid => ("invalid_token", "Bearer error=\"invalid_token\""),
            UserAuthError::Expired => ("token_expired", "Bearer error=\"invalid_token\""),
        };
        ApiError::new(StatusCode::UNAUTHORIZED, code, error.to_string())
            .with_header(header::WWW_AUTHENTICATE, challenge)
    }
}

/// 429 for a client or address over its sign-in or sign-up allowance.
pub fn too_many_attempts(decision: &Decision, detail: &'static str) -> ApiError {
    let problem = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", detail);
    crate::jobs::problems::with_retry_after(problem, decision.retry_after_us)
}

//! JSON shapes of the user service: request bodies (unknown fields refused) and views.

use hexaspin_core::Timestamp;
use hexaspin_core::use_cases::Session;
use hexaspin_core::user::User;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /api/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignUpBody {
    /// The sign-in address; stored trimmed and lowercased.
    #[schema(example = "ada@example.com", max_length = 254)]
    pub email: String,
    /// 12 to 128 characters, not a common password, not the address.
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub password: String,
    /// Optional name to show: 1–100 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
}

/// `POST /api/auth/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    /// The sign-in address.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// The password.
    #[schema(format = Password)]
    pub password: String,
}

/// `POST /api/auth/refresh` and `POST /api/auth/logout`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    /// The refresh token from the last sign-in or refresh.
    #[schema(pattern = "^hxr_[0-9a-f]{64}$")]
    pub refresh_token: String,
}

/// `PATCH /api/users/me`: fields left out stay as they are; `display_name: null` removes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeBody {
    /// A new sign-in address.
    #[serde(default)]
    pub email: Option<String>,
    /// A new name, or null for none.
    #[serde(default, deserialize_with = "crate::users::dto::double_option")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    /// The account's password: required with `email`.
    #[serde(default)]
    pub current_password: Option<String>,
}

/// `POST /api/users/me/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordBody {
    /// The password now.
    #[schema(format = Password)]
    pub current_password: String,
    /// The new one (same policy as at sign-up).
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub new_password: String,
}

/// `GET /api/admin/users` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Only addresses containing this text (case-insensitive).
    pub email: Option<String>,
    /// Only `active` or `disabled` accounts.
    pub state: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<String>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
pub(crate) fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An account as its owner and admins see it (never the password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// `usr_` and 16 hex digits.
    pub id: String,
    /// Sign-in address.
    pub email: String,
    /// Name to show, if any.
    pub display_name: Option<String>,
    /// `active` or `disabled`.
    pub state: &'static str,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.to_string(),
            display_name: user.display_name.as_ref().map(|n| n.as_str().to_owned()),
            state: user.state.as_str(),
            created_at: user.created_at.to_rfc3339(),
            updated_at: user.updated_at.to_rfc3339(),
        }
    }
}

/// A session: OAuth 2.0-style token response plus the account.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// The access token (a JWT with `role=user`): `Authorization: Bearer <it>`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Trade it at `/api/auth/refresh` for a new pair; it works once.
    pub refresh_token: String,
    /// Seconds until the refresh token expires unused.
    pub refresh_expires_in: i64,
    /// The account.
    pub user: UserView,
}

impl TokenView {
    /// The view of `session` at `now`.
    pub fn of(session: &Session, now: Timestamp) -> Self {
        let seconds = |at: Timestamp| (at.as_millis() - now.as_millis()).div_euclid(1000);
        Self {
            access_token: session.access_token.clone(),
            token_type: "Bearer",
            expires_in: seconds(session.access_expires_at),
            refresh_token: session.refresh_token.expose().to_owned(),
            refresh_expires_in: seconds(session.refresh_expires_at),
            user: UserView::from(&session.user),
        }
    }
}

/// What sign-up and an email change answer, whether or not the address already had an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    /// Always `accepted`.
    pub status: &'static str,
    /// What to do next.
    pub detail: &'static str,
}

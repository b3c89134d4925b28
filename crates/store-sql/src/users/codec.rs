//! Accounts and refresh tokens to parameters, and rows back. Positions follow
//! `queries/*/users/insert_user.sql` and `insert_refresh.sql`.

use hexaspin_core::Timestamp;
use hexaspin_core::ports::StoreError;
use hexaspin_core::user::{
    DisplayName, Email, PasswordHash, RefreshFamily, RefreshFamilyId, RefreshTokenHash, StoredRefreshToken,
    User, UserId, UserState,
};

use crate::value::{Columns, SqlValue};

/// The 9 parameters of `insert_user`.
pub fn user_params(user: &User) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(user.id.to_string()),
        SqlValue::Text(user.email.to_string()),
        SqlValue::from(user.display_name.as_ref().map(DisplayName::as_str)),
        SqlValue::Text(user.password_hash.as_str().to_owned()),
        SqlValue::Text(user.state.as_str().to_owned()),
        SqlValue::Int(user.created_at.as_millis()),
        SqlValue::Int(user.updated_at.as_millis()),
        SqlValue::Int(user.version),
        SqlValue::Int(user.session_epoch),
    ]
}

/// The 9 parameters of `update_user`: `insert_user`'s without `created_at`, then the version
/// the change was read at.
pub fn user_update_params(user: &User, expected_version: i64) -> Vec<SqlValue> {
    let mut params = user_params(user);
    params.remove(5);
    params.push(SqlValue::Int(expected_version));
    params
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("user {what}: {error}"))
}

/// A `users` row in `find_user.sql` column order.
pub fn user_from_row(row: &[SqlValue]) -> Result<User, StoreError> {
    let c = Columns::new(row);
    Ok(User {
        id: UserId::parse(&c.text(0)?).map_err(|e| corrupt("id", e))?,
        email: Email::parse(&c.text(1)?).map_err(|e| corrupt("email", e))?,
        display_name: c
            .opt_text(2)?
            .map(|name| DisplayName::parse(&name))
            .transpose()
            .map_err(|e| corrupt("display_name", e))?,
        password_hash: PasswordHash::parse(&c.text(3)?).map_err(|e| corrupt("password_hash", e))?,
        state: UserState::parse(&c.text(4)?).map_err(|e| corrupt("state", e))?,
        created_at: Timestamp::from_millis(c.int(5)?),
        updated_at: Timestamp::from_millis(c.int(6)?),
        version: c.int(7)?,
        session_epoch: c.int(8)?,
    })
}

/// The 5 parameters of `insert_refresh`.
pub fn refresh_params(token: &StoredRefreshToken) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(token.hash.as_str().to_owned()),
        SqlValue::Text(token.family.as_str().to_owned()),
        SqlValue::Text(token.user_id.to_string()),
        SqlValue::Int(token.issued_at.as_millis()),
        SqlValue::Int(token.expires_at.as_millis()),
    ]
}

/// The 5 parameters of `open_family`.
pub fn family_params(family: &RefreshFamily) -> Vec<SqlValue> {
    vec![
        SqlValue::Text(family.id.as_str().to_owned()),
        SqlValue::Text(family.user_id.to_string()),
        SqlValue::Int(family.session_epoch),
        SqlValue::Int(family.created_at.as_millis()),
        SqlValue::Int(family.ends_at.as_millis()),
    ]
}

/// A `refresh_tokens` row as `use_refresh.sql` returns it (its family's end and epoch follow).
pub fn refresh_from_row(row: &[SqlValue]) -> Result<StoredRefreshToken, StoreError> {
    let c = Columns::new(row);
    Ok(StoredRefreshToken {
        hash: RefreshTokenHash::from_stored(c.text(0)?),
        family: RefreshFamilyId::from_stored(c.text(1)?),
        user_id: UserId::parse(&c.text(2)?).map_err(|e| corrupt("refresh token owner", e))?,
        issued_at: Timestamp::from_millis(c.int(3)?),
        expires_at: Timestamp::from_millis(c.int(4)?),
    })
}

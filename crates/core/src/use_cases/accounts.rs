//! The user service's own operations: sign up, sign in, refresh, sign out, the account itself.
//!
//! Answers never tell whether an address has an account: sign-up says the same for a new and a
//! taken address (and hashes in both cases), sign-in says "invalid credentials" for an unknown
//! address and a wrong password alike and spends one Argon2 hash on each.

use crate::Timestamp;
use crate::error::DomainError;
use crate::ports::{Entropy, EntropyUnavailable, RefreshTokenStore, RefreshUse, StoreError, UserStore};
use crate::use_cases::admin_keys::random_array;
use crate::user::token::issue_user_token;
use crate::user::{
    DisplayName, Email, Password, PasswordHasher, RefreshFamilyId, RefreshToken, StoredRefreshToken, User,
    UserAuthConfig, UserId, UserState,
};

/// Refresh tokens stop working after this long unused, unless `user_refresh_ttl_seconds` says
/// otherwise. Each use issues a successor with a fresh lifetime (sliding).
pub const DEFAULT_REFRESH_TTL_SECONDS: i64 = 30 * 24 * 3600;
const ID_ATTEMPTS: usize = 3;

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The input broke a rule (password policy, malformed email).
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// Unknown address or wrong password: deliberately the same error.
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// The current password given to change it is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// The refresh token is unknown, expired or revoked.
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    /// A retired refresh token was presented again: its whole family is now revoked.
    #[error("the refresh token was already used; every session it belonged to is signed out")]
    RefreshReused,
    /// The account behind a valid token is gone.
    #[error("the account no longer exists")]
    AccountGone,
    /// Another account has that email.
    #[error("another account uses this email")]
    EmailTaken,
    /// The account changed between read and write.
    #[error("the account was changed concurrently; retry")]
    ConcurrentUpdate,
    /// No random bytes.
    #[error(transparent)]
    Entropy(#[from] EntropyUnavailable),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What every account operation needs.
pub struct AccountContext<'a, S, E> {
    /// Accounts and refresh tokens.
    pub store: &'a S,
    /// Randomness for ids, salts and tokens.
    pub entropy: &'a E,
    /// Argon2id with the configured cost.
    pub hasher: &'a PasswordHasher,
    /// Signs access tokens.
    pub auth: &'a UserAuthConfig,
    /// Lifetime of a refresh token, in seconds.
    pub refresh_ttl_seconds: i64,
    /// The instant of the operation.
    pub now: Timestamp,
}

/// A signed-in session: an access token and the refresh token that renews it.
pub struct Session {
    /// The account.
    pub user: User,
    /// Bearer token for the API.
    pub access_token: String,
    /// When it expires.
    pub access_expires_at: Timestamp,
    /// Renews the session once; shown to the client, stored only hashed.
    pub refresh_token: RefreshToken,
    /// When the refresh token expires unused.
    pub refresh_expires_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user.id)
            .finish_non_exhaustive()
    }
}

/// What sign-up did. The API answers both the same way.
#[derive(Debug)]
pub enum SignUp {
    /// A new account.
    Created(User),
    /// The address already has an account; nothing changed.
    AlreadyRegistered,
}

/// Creates an account for `email` with `password` (checked against the policy).
pub async fn sign_up<S, E>(
    ctx: &AccountContext<'_, S, E>,
    email: &str,
    password: &str,
    display_name: Option<&str>,
) -> Result<SignUp, AccountError>
where
    S: UserStore,
    E: Entropy,
{
    let email = Email::parse(email)?;
    let password = Password::new_for(password, &email)?;
    let display_name = display_name.map(DisplayName::parse).transpose()?;
    // Hashed before the address is looked up, so a taken address costs the same time.
    let password_hash = ctx.hasher.hash(&password, random_array(ctx.entropy)?)?;
    for _ in 0..ID_ATTEMPTS {
        let user = User {
            id: UserId::from_random(random_array(ctx.entropy)?),
            email: email.clone(),
            display_name: display_name.clone(),
            password_hash: password_hash.clone(),
            state: UserState::Active,
            created_at: ctx.now,
            updated_at: ctx.now,
            version: 1,
        };
        match ctx.store.insert_user(&user).await {
            Ok(()) => return Ok(SignUp::Created(user)),
            Err(StoreError::Conflict(_)) => {
                if ctx.store.find_user_by_email(&email).await?.is_some() {
                    return Ok(SignUp::AlreadyRegistered);
                }
                // An id collision (64 random bits): try another id.
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(StoreError::Failed("no free user id after several attempts".into()).into())
}

/// Signs in with email and password: a new session (a new refresh token family).
pub async fn sign_in<S, E>(
    ctx: &AccountContext<'_, S, E>,
    email: &str,
    password: &str,
) -> Result<Session, AccountError>
where
    S: UserStore + RefreshTokenStore,
    E: Entropy,
{
    let password = Password::presented(password).map_err(|_| AccountError::InvalidCredentials)?;
    let Ok(email) = Email::parse(email) else {
        ctx.hasher.burn(&password);
        return Err(AccountError::InvalidCredentials);
    };
    let Some(mut user) = ctx.store.find_user_by_email(&email).await? else {
        ctx.hasher.burn(&password);
        return Err(AccountError::InvalidCredentials);
    };
    if !ctx.hasher.verify(&password, &user.password_hash) {
        return Err(AccountError::InvalidCredentials);
    }
    if user.state == UserState::Disabled {
        return Err(AccountError::AccountDisabled);
    }
    if ctx.hasher.needs_rehash(&user.password_hash) {
        user = upgrade_hash(ctx, user, &password).await?;
    }
    let family = RefreshFamilyId::from_random(random_array(ctx.entropy)?);
    open_session(ctx, user, family).await
}

/// Re-hashes with the current parameters after a successful sign-in. Losing the race to another
/// change is fine: the old hash still verifies and the next sign-in tries again.
async fn upgrade_hash<S, E>(
    ctx: &AccountContext<'_, S, E>,
    user: User,
    password: &Password,
) -> Result<User, AccountError>
where
    S: UserStore,
    E: Entropy,
{
    let mut upgraded = user.clone();
    upgraded.password_hash = ctx.hasher.hash(password, random_array(ctx.entropy)?)?;
    upgraded.version = user.version + 1;
    upgraded.updated_at = ctx.now;
    Ok(if ctx.store.update_user(&upgraded, user.version).await? {
        upgraded
    } else {
        user
    })
}

/// Trades a refresh token for a new session in the same family; a replayed token revokes it.
pub async fn refresh<S, E>(ctx: &AccountContext<'_, S, E>, token: &str) -> Result<Session, AccountError>
where
    S: UserStore + RefreshTokenStore,
    E: Entropy,
{
    let token = RefreshToken::parse(token).map_err(|_| AccountError::InvalidRefreshToken)?;
    match ctx.store.use_refresh(&token.hash(), ctx.now).await? {
        RefreshUse::Used(stored) => {
            let user = match ctx.store.find_user(&stored.user_id).await? {
                Some(user) if user.state == UserState::Active => user,
                found => {
                    ctx.store.revoke_family(&stored.family, ctx.now).await?;
                    return Err(match found {
                        Some(_) => AccountError::AccountDisabled,
                        None => AccountError::InvalidRefreshToken,
                    });
                }
            };
            open_session(ctx, user, stored.family).await
        }
        RefreshUse::Reused { family, .. } => {
            ctx.store.revoke_family(&family, ctx.now).await?;
            Err(AccountError::RefreshReused)
        }
        RefreshUse::Unknown => Err(AccountError::InvalidRefreshToken),
    }
}

/// Signs out the session a refresh token belongs to. Idempotent: an unknown or already revoked
/// token is not an error (the client wanted to be signed out, and is).
pub async fn sign_out<S: RefreshTokenStore>(
    store: &S,
    token: &str,
    now: Timestamp,
) -> Result<(), AccountError> {
    let Ok(token) = RefreshToken::parse(token) else {
        return Ok(());
    };
    match store.use_refresh(&token.hash(), now).await? {
        RefreshUse::Used(stored) => store.revoke_family(&stored.family, now).await.map(drop)?,
        RefreshUse::Reused { family, .. } => store.revoke_family(&family, now).await.map(drop)?,
        RefreshUse::Unknown => {}
    }
    Ok(())
}

/// The signed-in user's own account (active only).
pub async fn current_user<S: UserStore>(store: &S, id: &UserId) -> Result<User, AccountError> {
    match store.find_user(id).await? {
        Some(user) if user.state == UserState::Active => Ok(user),
        Some(_) => Err(AccountError::AccountDisabled),
        None => Err(AccountError::AccountGone),
    }
}

/// Changes to one's own account: `None` leaves a field alone; `display_name: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    /// New sign-in address.
    pub email: Option<String>,
    /// New name, or `Some(None)` for none.
    pub display_name: Option<Option<String>>,
}

/// Applies `changes` to the signed-in user's account.
pub async fn update_account<S: UserStore>(
    store: &S,
    id: &UserId,
    changes: AccountChanges,
    now: Timestamp,
) -> Result<User, AccountError> {
    let current = current_user(store, id).await?;
    let mut updated = current.clone();
    if let Some(email) = changes.email {
        updated.email = Email::parse(&email)?;
    }
    if let Some(name) = changes.display_name {
        updated.display_name = name.as_deref().map(DisplayName::parse).transpose()?;
    }
    updated.version = current.version + 1;
    updated.updated_at = now;
    save(store, &updated, current.version).await?;
    Ok(updated)
}

/// Changes the password (the current one is needed), signs out every other session, and opens a
/// new one for the caller.
pub async fn change_password<S, E>(
    ctx: &AccountContext<'_, S, E>,
    id: &UserId,
    current_password: &str,
    new_password: &str,
) -> Result<Session, AccountError>
where
    S: UserStore + RefreshTokenStore,
    E: Entropy,
{
    let user = current_user(ctx.store, id).await?;
    let current = Password::presented(current_password).map_err(|_| AccountError::WrongPassword)?;
    if !ctx.hasher.verify(&current, &user.password_hash) {
        return Err(AccountError::WrongPassword);
    }
    let new = Password::new_for(new_password, &user.email)?;
    let mut updated = user.clone();
    updated.password_hash = ctx.hasher.hash(&new, random_array(ctx.entropy)?)?;
    updated.version = user.version + 1;
    updated.updated_at = ctx.now;
    save(ctx.store, &updated, user.version).await?;
    ctx.store.revoke_user_refresh(id, ctx.now).await?;
    let family = RefreshFamilyId::from_random(random_array(ctx.entropy)?);
    open_session(ctx, updated, family).await
}

async fn save<S: UserStore>(store: &S, user: &User, expected_version: i64) -> Result<(), AccountError> {
    match store.update_user(user, expected_version).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AccountError::ConcurrentUpdate),
        Err(StoreError::Conflict(_)) => Err(AccountError::EmailTaken),
        Err(other) => Err(other.into()),
    }
}

async fn open_session<S, E>(
    ctx: &AccountContext<'_, S, E>,
    user: User,
    family: RefreshFamilyId,
) -> Result<Session, AccountError>
where
    S: RefreshTokenStore,
    E: Entropy,
{
    let (access_token, access_expires_at) = issue_user_token(ctx.auth, &user.id, ctx.now)?;
    let refresh_token = RefreshToken::from_random(random_array(ctx.entropy)?);
    let refresh_expires_at = ctx.now.plus_seconds(ctx.refresh_ttl_seconds);
    let stored = StoredRefreshToken {
        hash: refresh_token.hash(),
        family,
        user_id: user.id.clone(),
        issued_at: ctx.now,
        expires_at: refresh_expires_at,
    };
    ctx.store.insert_refresh(&stored).await?;
    // Every rotation leaves the spent token behind (it must be recognised if replayed) until it
    // expires; clearing the user's expired ones here keeps the table bounded by live sessions
    // without a background job.
    ctx.store.purge_expired_refresh(&user.id, ctx.now).await?;
    Ok(Session {
        user,
        access_token,
        access_expires_at,
        refresh_token,
        refresh_expires_at,
    })
}

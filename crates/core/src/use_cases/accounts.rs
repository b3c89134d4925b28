//! The user service's own operations: sign up, sign in, the account itself, its password.
//!
//! Answers never tell whether an address has an account: sign-up says the same for a new and a
//! taken address (and hashes in both cases), sign-in says "invalid credentials" for an unknown
//! address and a wrong password alike and spends one Argon2 hash on each, and an email change
//! answers the same whether the new address was free or taken.
//!
//! Every check of a password (sign-in, password change, email change) is an attempt charged to
//! the account's and the client's buckets *before* the hash is computed ([`crate::attempts`]),
//! and given back when the password was right.

use super::sessions::{Session, SessionLifetimes, open_new_session};
use crate::Timestamp;
use crate::attempts::{AccountDigest, Attempt, AttemptRefused, ClientNetwork, PasswordAttemptRules};
use crate::error::DomainError;
use crate::ports::{Entropy, EntropyUnavailable, RateLimiter, RefreshTokenStore, StoreError, UserStore};
use crate::quota::{Decision, RateRule};
use crate::use_cases::admin_keys::random_array;
use crate::user::{
    AuthenticatedUser, DisplayName, Email, Password, PasswordHasher, User, UserAuthConfig, UserId, UserState,
};

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
    /// The current password given to change the password or the email is wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// Too many attempts from this client or on this account: retry after the decision's
    /// `retry_after_us`.
    #[error("too many attempts; retry later")]
    TooManyAttempts(Decision),
    /// The account is disabled.
    #[error("the account is disabled")]
    AccountDisabled,
    /// The access token belongs to sessions the account has ended since (password change).
    #[error("the session has ended; sign in again")]
    SessionEnded,
    /// The refresh token is unknown, expired or revoked, or its session has ended.
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    /// A retired refresh token was presented again: its whole family is now revoked.
    #[error("the refresh token was already used; every session it belonged to is signed out")]
    RefreshReused,
    /// The account behind a valid token is gone.
    #[error("the account no longer exists")]
    AccountGone,
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

impl From<AttemptRefused> for AccountError {
    fn from(refused: AttemptRefused) -> Self {
        match refused {
            AttemptRefused::Limited(decision) => Self::TooManyAttempts(decision),
            AttemptRefused::Store(error) => Self::Store(error),
        }
    }
}

/// What every account operation needs.
pub struct AccountContext<'a, S, E, L> {
    /// Accounts and refresh tokens.
    pub store: &'a S,
    /// Randomness for ids, salts and tokens.
    pub entropy: &'a E,
    /// The attempt buckets.
    pub limiter: &'a L,
    /// Argon2id with the configured cost.
    pub hasher: &'a PasswordHasher,
    /// Signs access tokens.
    pub auth: &'a UserAuthConfig,
    /// How long sessions live.
    pub sessions: SessionLifetimes,
    /// Password attempts allowed per account, client, and both.
    pub password_attempts: PasswordAttemptRules,
    /// Sign-ups allowed per client.
    pub sign_ups: RateRule,
    /// Address changes allowed per account.
    pub email_changes: RateRule,
    /// The network the request comes from.
    pub client: ClientNetwork,
    /// The instant of the operation.
    pub now: Timestamp,
}

/// What sign-up did. The API answers both the same way.
#[derive(Debug)]
pub enum SignUp {
    /// A new account.
    Created(User),
    /// The address already has an account; nothing changed.
    AlreadyRegistered,
}

/// Creates an account for `email` with `password` (checked against the policy). Every sign-up
/// is charged to the client's bucket before anything is hashed.
pub async fn sign_up<S, E, L>(
    ctx: &AccountContext<'_, S, E, L>,
    email: &str,
    password: &str,
    display_name: Option<&str>,
) -> Result<SignUp, AccountError>
where
    S: UserStore,
    E: Entropy,
    L: RateLimiter,
{
    Attempt::sign_up(ctx.limiter, ctx.sign_ups, ctx.client.clone(), ctx.now)
        .await?
        .counted();
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
            session_epoch: 0,
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
pub async fn sign_in<S, E, L>(
    ctx: &AccountContext<'_, S, E, L>,
    email: &str,
    password: &str,
) -> Result<Session, AccountError>
where
    S: UserStore + RefreshTokenStore,
    E: Entropy,
    L: RateLimiter,
{
    let account = AccountDigest::of_presented(email);
    let attempt = Attempt::password(
        ctx.limiter,
        &ctx.password_attempts,
        &account,
        &ctx.client,
        ctx.now,
    )
    .await?;
    let outcome = check_credentials(ctx, email, password).await;
    settle(ctx.limiter, attempt, &outcome).await;
    open_new_session(ctx, outcome?).await
}

/// The account `email` names, if `password` is its password and it may sign in (its hash
/// upgraded to the current parameters on the way).
async fn check_credentials<S, E, L>(
    ctx: &AccountContext<'_, S, E, L>,
    email: &str,
    password: &str,
) -> Result<User, AccountError>
where
    S: UserStore,
    E: Entropy,
{
    let password = Password::presented(password).map_err(|_| AccountError::InvalidCredentials)?;
    let Ok(email) = Email::parse(email) else {
        ctx.hasher.burn(&password);
        return Err(AccountError::InvalidCredentials);
    };
    let Some(user) = ctx.store.find_user_by_email(&email).await? else {
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
        return upgrade_hash(ctx, user, &password).await;
    }
    Ok(user)
}

/// Keeps an attempt's tokens when the password was wrong, gives them back otherwise (a right
/// password, or a failure of ours). A give-back that fails leaves one token spent: the limit errs
/// on the safe side, and the answer stays the outcome's.
async fn settle<T, L: RateLimiter>(limiter: &L, attempt: Attempt, outcome: &Result<T, AccountError>) {
    match outcome {
        Err(AccountError::InvalidCredentials | AccountError::WrongPassword) => attempt.counted(),
        _ => {
            let _ = attempt.did_not_count(limiter).await;
        }
    }
}

/// Re-hashes with the current parameters after a successful sign-in. Losing the race to another
/// change is fine: the old hash still verifies and the next sign-in tries again.
async fn upgrade_hash<S, E, L>(
    ctx: &AccountContext<'_, S, E, L>,
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
    Ok(if ctx.store.update_user(&upgraded, user.version, None).await? {
        upgraded
    } else {
        user
    })
}

/// The signed-in user's own account: active, and still at the session epoch the access token
/// was issued in.
pub async fn current_user<S: UserStore>(store: &S, who: &AuthenticatedUser) -> Result<User, AccountError> {
    match store.find_user(&who.id).await? {
        Some(user) if user.state != UserState::Active => Err(AccountError::AccountDisabled),
        Some(user) if user.session_epoch != who.session_epoch => Err(AccountError::SessionEnded),
        Some(user) => Ok(user),
        None => Err(AccountError::AccountGone),
    }
}

/// Changes to one's own account: `None` leaves a field alone; `display_name: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    /// New sign-in address (needs `current_password`).
    pub email: Option<String>,
    /// New name, or `Some(None)` for none.
    pub display_name: Option<Option<String>>,
    /// The account's password, required to change the address.
    pub current_password: Option<String>,
}

/// What [`update_account`] did. The address change is not reported: a taken address and a free
/// one get the same answer, so the call cannot be used to find out who has an account.
#[derive(Debug)]
pub struct AccountUpdate {
    /// The account as stored now.
    pub user: User,
    /// Whether an address change was asked for (it took effect if the address was free).
    pub email_change_requested: bool,
}

/// Applies `changes` to the signed-in user's account. Changing the address needs the password
/// (a stolen access token alone cannot take the account over) and is charged as a password
/// attempt; if another account has the new address, the rest of the changes are applied and
/// the address stays as it was, with the same answer as a change that went through. The account
/// can still read where its address is afterwards, so every address change with the right
/// password is also charged to the account's own bucket and kept, whether the address was free
/// or not: an account cannot be used to test addresses faster than that.
pub async fn update_account<S, E, L>(
    ctx: &AccountContext<'_, S, E, L>,
    who: &AuthenticatedUser,
    changes: AccountChanges,
) -> Result<AccountUpdate, AccountError>
where
    S: UserStore,
    L: RateLimiter,
{
    let current = current_user(ctx.store, who).await?;
    let mut updated = current.clone();
    if let Some(name) = &changes.display_name {
        updated.display_name = name.as_deref().map(DisplayName::parse).transpose()?;
    }
    updated.version = current.version + 1;
    updated.updated_at = ctx.now;
    let Some(email) = &changes.email else {
        save(ctx.store, &updated, current.version).await?;
        return Ok(AccountUpdate {
            user: updated,
            email_change_requested: false,
        });
    };
    let new_email = Email::parse(email)?;
    let presented = changes
        .current_password
        .as_deref()
        .ok_or_else(|| DomainError::invalid("current_password", "is required to change the email"))?;
    check_password(ctx, &current, presented).await?;
    // After the password (a stolen access token alone cannot spend the owner's changes), before
    // the address is tried (the probe it bounds), and kept whatever the outcome.
    Attempt::email_change(ctx.limiter, ctx.email_changes, current.id.clone(), ctx.now)
        .await?
        .counted();
    let with_email = User {
        email: new_email,
        ..updated.clone()
    };
    match ctx.store.update_user(&with_email, current.version, None).await {
        Ok(true) => Ok(AccountUpdate {
            user: with_email,
            email_change_requested: true,
        }),
        Ok(false) => Err(AccountError::ConcurrentUpdate),
        Err(StoreError::Conflict(_)) => {
            save(ctx.store, &updated, current.version).await?;
            Ok(AccountUpdate {
                user: updated,
                email_change_requested: true,
            })
        }
        Err(other) => Err(other.into()),
    }
}

/// Checks `presented` against `user`'s password as a charged attempt.
async fn check_password<S, E, L: RateLimiter>(
    ctx: &AccountContext<'_, S, E, L>,
    user: &User,
    presented: &str,
) -> Result<(), AccountError> {
    let attempt = Attempt::password(
        ctx.limiter,
        &ctx.password_attempts,
        &AccountDigest::of(&user.email),
        &ctx.client,
        ctx.now,
    )
    .await?;
    let outcome = match Password::presented(presented) {
        Ok(password) if ctx.hasher.verify(&password, &user.password_hash) => Ok(()),
        _ => Err(AccountError::WrongPassword),
    };
    settle(ctx.limiter, attempt, &outcome).await;
    outcome
}

/// Changes the password (the current one is needed, and charged as a password attempt), ends
/// every session of the account (access tokens included), and opens a new one for the caller.
pub async fn change_password<S, E, L>(
    ctx: &AccountContext<'_, S, E, L>,
    who: &AuthenticatedUser,
    current_password: &str,
    new_password: &str,
) -> Result<Session, AccountError>
where
    S: UserStore + RefreshTokenStore,
    E: Entropy,
    L: RateLimiter,
{
    let user = current_user(ctx.store, who).await?;
    check_password(ctx, &user, current_password).await?;
    let new = Password::new_for(new_password, &user.email)?;
    let mut updated = user.clone();
    updated.password_hash = ctx.hasher.hash(&new, random_array(ctx.entropy)?)?;
    updated.version = user.version + 1;
    updated.updated_at = ctx.now;
    updated.session_epoch = user.session_epoch + 1;
    save(ctx.store, &updated, user.version).await?;
    // Before the caller's new session opens, or it would be marked too.
    ctx.store.revoke_user_tokens(&user.id, ctx.now).await?;
    open_new_session(ctx, updated).await
}

async fn save<S: UserStore>(store: &S, user: &User, expected_version: i64) -> Result<(), AccountError> {
    match store.update_user(user, expected_version, None).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(AccountError::ConcurrentUpdate),
        Err(other) => Err(other.into()),
    }
}

//! Sessions of the user service: a refresh token family per sign-in, rotated on every refresh,
//! ended by sign-out, by a replayed token, by the account's session epoch moving on, or by its
//! absolute lifetime.

use super::accounts::{AccountContext, AccountError};
use crate::Timestamp;
use crate::ports::{Entropy, RefreshTokenStore, RefreshUse, UserStore};
use crate::use_cases::admin_keys::random_array;
use crate::user::token::issue_user_token;
use crate::user::{RefreshFamily, RefreshFamilyId, RefreshToken, StoredRefreshToken, User, UserState};

/// Refresh tokens stop working after this long unused, unless `user_refresh_ttl_seconds` says
/// otherwise. Each use issues a successor with a fresh lifetime (sliding), never past the
/// family's absolute end.
pub const DEFAULT_REFRESH_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// A sign-in's sessions end this long after it however often they are refreshed, unless
/// `user_session_max_seconds` says otherwise.
pub const DEFAULT_SESSION_MAX_SECONDS: i64 = 30 * 24 * 3600;

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetimes {
    /// A refresh token's life unused (sliding), seconds.
    pub refresh_ttl_seconds: i64,
    /// A family's life from its sign-in (absolute), seconds.
    pub max_seconds: i64,
}

impl Default for SessionLifetimes {
    fn default() -> Self {
        Self {
            refresh_ttl_seconds: DEFAULT_REFRESH_TTL_SECONDS,
            max_seconds: DEFAULT_SESSION_MAX_SECONDS,
        }
    }
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

/// Opens a new family for `user` at the epoch `user` was read with: if the account has ended its
/// sessions or been disabled since, nothing is opened ([`AccountError::ConcurrentUpdate`]).
pub(crate) async fn open_new_session<S, E, L>(
    ctx: &AccountContext<'_, S, E, L>,
    user: User,
) -> Result<Session, AccountError>
where
    S: RefreshTokenStore,
    E: Entropy,
{
    let family = RefreshFamily {
        id: RefreshFamilyId::from_random(random_array(ctx.entropy)?),
        user_id: user.id.clone(),
        session_epoch: user.session_epoch,
        created_at: ctx.now,
        ends_at: ctx.now.plus_seconds(ctx.sessions.max_seconds),
    };
    if !ctx.store.open_family(&family).await? {
        return Err(AccountError::ConcurrentUpdate);
    }
    let ends_at = family.ends_at;
    let epoch = family.session_epoch;
    continue_session(ctx, user, family.id, epoch, ends_at)
        .await?
        .ok_or(AccountError::ConcurrentUpdate)
}

/// Issues the next refresh token of a family (and an access token at the family's epoch);
/// `None` if the family ended before the token could be stored.
async fn continue_session<S, E, L>(
    ctx: &AccountContext<'_, S, E, L>,
    user: User,
    family: RefreshFamilyId,
    session_epoch: i64,
    family_ends_at: Timestamp,
) -> Result<Option<Session>, AccountError>
where
    S: RefreshTokenStore,
    E: Entropy,
{
    let refresh_token = RefreshToken::from_random(random_array(ctx.entropy)?);
    let refresh_expires_at = ctx
        .now
        .plus_seconds(ctx.sessions.refresh_ttl_seconds)
        .min(family_ends_at);
    let stored = StoredRefreshToken {
        hash: refresh_token.hash(),
        family,
        user_id: user.id.clone(),
        issued_at: ctx.now,
        expires_at: refresh_expires_at,
    };
    if !ctx.store.insert_refresh(&stored).await? {
        return Ok(None);
    }
    // Every rotation leaves the spent token behind (it must be recognised if replayed) until it
    // expires; clearing the user's expired ones here keeps the tables bounded by live sessions
    // without a background job.
    ctx.store.purge_expired_refresh(&user.id, ctx.now).await?;
    let (access_token, access_expires_at) = issue_user_token(ctx.auth, &user.id, session_epoch, ctx.now)?;
    Ok(Some(Session {
        user,
        access_token,
        access_expires_at,
        refresh_token,
        refresh_expires_at,
    }))
}

/// Trades a refresh token for a new session in the same family; a replayed token revokes it.
/// If the family ends while this runs (a password change, a disable, a replay), no successor
/// is stored and the refresh fails.
pub async fn refresh<S, E, L>(ctx: &AccountContext<'_, S, E, L>, token: &str) -> Result<Session, AccountError>
where
    S: UserStore + RefreshTokenStore,
    E: Entropy,
{
    let token = RefreshToken::parse(token).map_err(|_| AccountError::InvalidRefreshToken)?;
    match ctx.store.use_refresh(&token.hash(), ctx.now).await? {
        RefreshUse::Used {
            token,
            family_ends_at,
            family_epoch,
        } => {
            let user = match ctx.store.find_user(&token.user_id).await? {
                Some(user) if user.state == UserState::Active && user.session_epoch == family_epoch => user,
                _ => {
                    ctx.store.revoke_family(&token.family, ctx.now).await?;
                    return Err(AccountError::InvalidRefreshToken);
                }
            };
            continue_session(ctx, user, token.family, family_epoch, family_ends_at)
                .await?
                .ok_or(AccountError::InvalidRefreshToken)
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
        RefreshUse::Used { token, .. } => store.revoke_family(&token.family, now).await.map(drop)?,
        RefreshUse::Reused { family, .. } => store.revoke_family(&family, now).await.map(drop)?,
        RefreshUse::Unknown => {}
    }
    Ok(())
}

//! The user service's statements, one `.sql` file each per dialect.

use crate::Dialect;

/// Every statement of the user stores, in one dialect.
#[derive(Debug)]
pub struct UserQueries {
    /// Insert an account.
    pub insert_user: &'static str,
    /// An account by id.
    pub find_user: &'static str,
    /// An account by normalised email.
    pub find_user_by_email: &'static str,
    /// Replace an account if its version matches.
    pub update_user: &'static str,
    /// Delete an account.
    pub delete_user: &'static str,
    /// Delete an account's refresh tokens.
    pub delete_user_refresh: &'static str,
    /// Delete an account's refresh token families.
    pub delete_user_families: &'static str,
    /// Accounts by email fragment/state, after a cursor, newest first.
    pub list_users: &'static str,
    /// Open a family if its account is still at the epoch read.
    pub open_family: &'static str,
    /// Store a refresh token (hash) if its family is open.
    pub insert_refresh: &'static str,
    /// Retire a live refresh token of an open family.
    pub use_refresh: &'static str,
    /// Look a refresh token up (was it used?).
    pub find_refresh: &'static str,
    /// Revoke a family.
    pub revoke_family: &'static str,
    /// Delete a user's expired tokens.
    pub purge_expired_refresh: &'static str,
    /// Delete a user's families past their end.
    pub purge_ended_families: &'static str,
    /// Mark a revoked family's live tokens revoked (what older versions read).
    pub revoke_family_tokens: &'static str,
    /// Mark a user's live tokens revoked (what older versions read).
    pub revoke_user_tokens: &'static str,
    /// Open a family for a token an older version stored without one.
    pub adopt_orphan_token: &'static str,
}

/// `user_queries!("dialect", [name, …])`: each field from `queries/<dialect>/users/<name>.sql`.
macro_rules! user_queries {
    ($dir:literal, [$($name:ident),* $(,)?]) => {
        UserQueries {
            $($name: include_str!(concat!("../../queries/", $dir, "/users/", stringify!($name), ".sql")),)*
        }
    };
    ($dir:literal) => {
        user_queries!($dir, [
            insert_user,
            find_user,
            find_user_by_email,
            update_user,
            delete_user,
            delete_user_refresh,
            delete_user_families,
            list_users,
            open_family,
            insert_refresh,
            use_refresh,
            find_refresh,
            revoke_family,
            purge_expired_refresh,
            purge_ended_families,
            revoke_family_tokens,
            revoke_user_tokens,
            adopt_orphan_token,
        ])
    };
}

static SQLITE: UserQueries = user_queries!("sqlite");
static POSTGRES: UserQueries = user_queries!("postgres");

impl UserQueries {
    /// The statements for `dialect`.
    pub fn of(dialect: Dialect) -> &'static UserQueries {
        match dialect {
            Dialect::Sqlite => &SQLITE,
            Dialect::Postgres => &POSTGRES,
        }
    }

    /// Every statement with its name. Destructured, so a new one cannot be left out.
    pub fn each(&self) -> [(&'static str, &'static str); 18] {
        let UserQueries {
            insert_user,
            find_user,
            find_user_by_email,
            update_user,
            delete_user,
            delete_user_refresh,
            delete_user_families,
            list_users,
            open_family,
            insert_refresh,
            use_refresh,
            find_refresh,
            revoke_family,
            purge_expired_refresh,
            purge_ended_families,
            revoke_family_tokens,
            revoke_user_tokens,
            adopt_orphan_token,
        } = self;
        [
            ("insert_user", *insert_user),
            ("find_user", *find_user),
            ("find_user_by_email", *find_user_by_email),
            ("update_user", *update_user),
            ("delete_user", *delete_user),
            ("delete_user_refresh", *delete_user_refresh),
            ("delete_user_families", *delete_user_families),
            ("list_users", *list_users),
            ("open_family", *open_family),
            ("insert_refresh", *insert_refresh),
            ("use_refresh", *use_refresh),
            ("find_refresh", *find_refresh),
            ("revoke_family", *revoke_family),
            ("purge_expired_refresh", *purge_expired_refresh),
            ("purge_ended_families", *purge_ended_families),
            ("revoke_family_tokens", *revoke_family_tokens),
            ("revoke_user_tokens", *revoke_user_tokens),
            ("adopt_orphan_token", *adopt_orphan_token),
        ]
    }
}

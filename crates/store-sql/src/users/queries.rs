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
    /// Accounts by email fragment/state, after a cursor, newest first.
    pub list_users: &'static str,
    /// Store a refresh token (hash).
    pub insert_refresh: &'static str,
    /// Retire a live refresh token.
    pub use_refresh: &'static str,
    /// Look a refresh token up (was it used?).
    pub find_refresh: &'static str,
    /// Revoke a family's live tokens.
    pub revoke_family: &'static str,
    /// Revoke a user's live tokens.
    pub revoke_user_refresh: &'static str,
    /// Delete a user's expired tokens.
    pub purge_expired_refresh: &'static str,
}

macro_rules! user_queries {
    ($dir:literal) => {
        UserQueries {
            insert_user: include_str!(concat!("../../queries/", $dir, "/users/insert_user.sql")),
            find_user: include_str!(concat!("../../queries/", $dir, "/users/find_user.sql")),
            find_user_by_email: include_str!(concat!(
                "../../queries/",
                $dir,
                "/users/find_user_by_email.sql"
            )),
            update_user: include_str!(concat!("../../queries/", $dir, "/users/update_user.sql")),
            delete_user: include_str!(concat!("../../queries/", $dir, "/users/delete_user.sql")),
            delete_user_refresh: include_str!(concat!(
                "../../queries/",
                $dir,
                "/users/delete_user_refresh.sql"
            )),
            list_users: include_str!(concat!("../../queries/", $dir, "/users/list_users.sql")),
            insert_refresh: include_str!(concat!("../../queries/", $dir, "/users/insert_refresh.sql")),
            use_refresh: include_str!(concat!("../../queries/", $dir, "/users/use_refresh.sql")),
            find_refresh: include_str!(concat!("../../queries/", $dir, "/users/find_refresh.sql")),
            revoke_family: include_str!(concat!("../../queries/", $dir, "/users/revoke_family.sql")),
            revoke_user_refresh: include_str!(concat!(
                "../../queries/",
                $dir,
                "/users/revoke_user_refresh.sql"
            )),
            purge_expired_refresh: include_str!(concat!(
                "../../queries/",
                $dir,
                "/users/purge_expired_refresh.sql"
            )),
        }
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
    pub fn each(&self) -> [(&'static str, &'static str); 13] {
        let UserQueries {
            insert_user,
            find_user,
            find_user_by_email,
            update_user,
            delete_user,
            delete_user_refresh,
            list_users,
            insert_refresh,
            use_refresh,
            find_refresh,
            revoke_family,
            revoke_user_refresh,
            purge_expired_refresh,
        } = self;
        [
            ("insert_user", *insert_user),
            ("find_user", *find_user),
            ("find_user_by_email", *find_user_by_email),
            ("update_user", *update_user),
            ("delete_user", *delete_user),
            ("delete_user_refresh", *delete_user_refresh),
            ("list_users", *list_users),
            ("insert_refresh", *insert_refresh),
            ("use_refresh", *use_refresh),
            ("find_refresh", *find_refresh),
            ("revoke_family", *revoke_family),
            ("revoke_user_refresh", *revoke_user_refresh),
            ("purge_expired_refresh", *purge_expired_refresh),
        ]
    }
}

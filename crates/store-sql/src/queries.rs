//! The statements, kept in `queries/<dialect>/*.sql` so they read as SQL and are shared by the
//! native and the Spin adapter of the same database.

use crate::Dialect;

/// Every statement the stores run, in one dialect.
#[derive(Debug)]
pub struct Queries {
    /// Insert a key (21 parameters, in [`crate::codec::key_params`] order).
    pub insert_key: &'static str,
    /// A key by id.
    pub find_key: &'static str,
    /// Keys by owner/state, after a cursor, newest first.
    pub list_keys: &'static str,
    /// Replace a key's admin fields if its version matches ([`crate::codec::key_update_params`]).
    pub update_key: &'static str,
    /// Append to the audit log.
    pub append_audit: &'static str,
    /// Read the audit log, newest first.
    pub list_audit: &'static str,
    /// Take one use from a key's budget (refilling first when due).
    pub consume_use: &'static str,
    /// Does the key have a budget at all?
    pub key_has_budget: &'static str,
    /// Give one use back.
    pub refund_use: &'static str,
    /// Keys per state at an instant.
    pub count_keys: &'static str,
    /// Cheapest round trip, for readiness checks.
    pub ping: &'static str,
}

macro_rules! dialect_queries {
    ($dir:literal) => {
        Queries {
            insert_key: include_str!(concat!("../queries/", $dir, "/insert_key.sql")),
            find_key: include_str!(concat!("../queries/", $dir, "/find_key.sql")),
            list_keys: include_str!(concat!("../queries/", $dir, "/list_keys.sql")),
            update_key: include_str!(concat!("../queries/", $dir, "/update_key.sql")),
            append_audit: include_str!(concat!("../queries/", $dir, "/append_audit.sql")),
            list_audit: include_str!(concat!("../queries/", $dir, "/list_audit.sql")),
            consume_use: include_str!(concat!("../queries/", $dir, "/consume_use.sql")),
            key_has_budget: include_str!(concat!("../queries/", $dir, "/key_has_budget.sql")),
            refund_use: include_str!(concat!("../queries/", $dir, "/refund_use.sql")),
            count_keys: include_str!(concat!("../queries/", $dir, "/count_keys.sql")),
            ping: include_str!(concat!("../queries/", $dir, "/ping.sql")),
        }
    };
}

static SQLITE: Queries = dialect_queries!("sqlite");
static POSTGRES: Queries = dialect_queries!("postgres");

impl Queries {
    /// Every statement with its name, e.g. to run each one in a test. Destructured, so a new
    /// statement cannot be left out of this list.
    pub fn each(&self) -> [(&'static str, &'static str); 11] {
        let Queries {
            insert_key,
            find_key,
            list_keys,
            update_key,
            append_audit,
            list_audit,
            consume_use,
            key_has_budget,
            refund_use,
            count_keys,
            ping,
        } = self;
        [
            ("insert_key", *insert_key),
            ("find_key", *find_key),
            ("list_keys", *list_keys),
            ("update_key", *update_key),
            ("append_audit", *append_audit),
            ("list_audit", *list_audit),
            ("consume_use", *consume_use),
            ("key_has_budget", *key_has_budget),
            ("refund_use", *refund_use),
            ("count_keys", *count_keys),
            ("ping", *ping),
        ]
    }

    /// The statements for `dialect`.
    pub fn of(dialect: Dialect) -> &'static Queries {
        match dialect {
            Dialect::Sqlite => &SQLITE,
            Dialect::Postgres => &POSTGRES,
        }
    }
}

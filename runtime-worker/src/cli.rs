//! The command line. Every option can also come from the environment variable named beside it;
//! secrets (JWT_SECRET, PG_URL with a password) are best passed that way, not as arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use hexaspin_config::settings::{ConfigError, ConfigSource};

/// hexaspin's native worker and operator CLI.
#[derive(Debug, Parser)]
#[command(name = "runtime-worker", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Which store to use: the same choice as the Spin variables `store`, `pg_url`.
#[derive(Debug, Args)]
pub struct StoreArgs {
    #[arg(long, global = true, env = "STORE", value_enum, default_value = "sqlite")]
    pub store: StoreKind,
    /// Postgres URL, for --store postgres.
    #[arg(long, global = true, env = "PG_URL", hide_env_values = true)]
    pub pg_url: Option<String>,
    /// SQLite database file, for --store sqlite: the file `spin up` uses by default.
    #[arg(long, global = true, env = "SQLITE_PATH", default_value = hexaspin_config::settings::DEFAULT_SQLITE_PATH)]
    pub sqlite_path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoreKind {
    Sqlite,
    Postgres,
}

impl ConfigSource for StoreArgs {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        Ok(match name {
            "store" => Some(match self.store {
                StoreKind::Sqlite => "sqlite".into(),
                StoreKind::Postgres => "postgres".into(),
            }),
            "pg_url" => self.pg_url.clone(),
            "sqlite_path" => Some(self.sqlite_path.clone()),
            _ => None,
        })
    }
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the worker: claim jobs and run each attempt in a sandboxed wasm instance. The queue is
    /// the embedded SQLite file (--sqlite-path) unless QUEUE=redis with REDIS_URL (and
    /// REDIS_PREFIX, default "hx:") are set.
    Run(RunArgs),
    /// Apply, revert or list the SQL migrations.
    Migrate(MigrateArgs),
    /// Print an admin JWT signed with JWT_SECRET.
    AdminToken(AdminTokenArgs),
    /// Check a running app end to end after a deploy: health, readiness, a key, a job run by a
    /// worker, /metrics, revocation. Needs JWT_SECRET (the app's jwt_secret). Exits non-zero at
    /// the first failed step.
    Smoke(SmokeArgs),
    /// Forget every API key record cached in Redis (after Redis lost writes: a failover to a
    /// lagging replica, a restore); they refill from the key store. Needs QUEUE=redis and
    /// REDIS_URL (REDIS_PREFIX, default "hx:").
    FlushKeyCache,
    /// Print the app's OpenAPI 3.1 document (the one it serves at /openapi.json), to publish it
    /// without running the app.
    Openapi,
}

/// `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// up: apply pending; down: revert the latest; status: list.
    #[arg(value_enum, default_value = "up")]
    pub direction: MigrateDirection,
    /// For `down`: how many migrations to revert.
    #[arg(long, default_value_t = 1)]
    pub steps: usize,
    /// Which schema: `core` (keys, jobs) or `users` (the user service). `up` and `status` take
    /// both when it is left out; `down` takes `core`.
    #[arg(long, value_enum)]
    pub schema: Option<SchemaArg>,
}

/// `--schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaArg {
    /// `migrations/`: API keys, audit log, jobs, metrics.
    Core,
    /// `services/users/migrations/`: accounts and refresh tokens.
    Users,
}

impl From<SchemaArg> for hexaspin_store_sql::migrate::Schema {
    fn from(arg: SchemaArg) -> Self {
        match arg {
            SchemaArg::Core => Self::Core,
            SchemaArg::Users => Self::Users,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrateDirection {
    /// Apply every pending migration.
    Up,
    /// Revert the most recent ones.
    Down,
    /// Show which are applied.
    Status,
}

/// `admin-token`.
#[derive(Debug, Args)]
pub struct AdminTokenArgs {
    /// Subject: the admin's name, recorded in the audit log.
    #[arg(long)]
    pub sub: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub ttl: i64,
    /// The app's address (e.g. http://127.0.0.1:3000): also print a sign-in link to its admin
    /// page, the token in the link's fragment (`…/admin-ui/#token=…`), which browsers never send
    /// to a server.
    #[arg(long)]
    pub url: Option<String>,
    /// Claims the app checks.
    #[command(flatten)]
    pub claims: ClaimArgs,
}

/// The token header and claims an app may check besides the signature.
#[derive(Debug, Args)]
pub struct ClaimArgs {
    /// Key id header, selecting the secret during a JWT secret rotation.
    #[arg(long, env = "JWT_KID")]
    pub kid: Option<String>,
    /// `iss` claim (must match the app's `jwt_issuer` if that is set).
    #[arg(long, env = "JWT_ISSUER")]
    pub issuer: Option<String>,
    /// `aud` claim (must match the app's `jwt_audience` if that is set).
    #[arg(long, env = "JWT_AUDIENCE")]
    pub audience: Option<String>,
}

/// `smoke`.
#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// The app's base URL: http://127.0.0.1:3000 for `spin up`, the Service or Ingress URL on k8s.
    #[arg(long, env = "HEXASPIN_BASE_URL")]
    pub base_url: String,
    /// How long to wait for the job to succeed, in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// The job kind to dispatch (the app's job_kinds and the worker's configuration must have it).
    #[arg(long, default_value = "echo")]
    pub kind: String,
    /// Bearer token for /metrics, when the app sets metrics_token.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Claims for the admin token.
    #[command(flatten)]
    pub claims: ClaimArgs,
}

/// `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The worker configuration (TOML): kinds, limits, periodic jobs, admin port.
    #[arg(long, env = "HEXASPIN_WORKER_CONFIG", default_value = "worker.toml")]
    pub config: String,
}

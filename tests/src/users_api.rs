//! Drives the user service in-process, exactly as the `users` component does, on a real store.

use hexaspin_api::users::UsersApi;
use hexaspin_config::os::OsEntropy;
use hexaspin_config::settings::{AdminSettings, ConfigError, ConfigSource};
use hexaspin_config::users::UserSettings;
use hexaspin_core::Timestamp;
use hexaspin_core::ports::{AuditLog, RefreshTokenStore, UserStore};

use hexaspin_native::NativeJobs;
use hexaspin_store_sql::SqlExecutor;
use hexaspin_stores::AnyJobs;

use crate::api::{Reply, TestConfig, admin_token, build_request};
use crate::fixtures::{RedisTestJobs, SqliteTestJobs, TestStore};

/// The user secret tests sign with (not the admin one: the settings refuse that).
pub const USER_JWT_SECRET: &str = "hexaspin-test-user-jwt-0123456789ABCDEFGH";

/// The user service's settings as a deployment sets them, with test-cheap password hashing.
pub struct UserTestConfig;

impl ConfigSource for UserTestConfig {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        Ok(match name {
            "user_jwt_secret" => Some(USER_JWT_SECRET.to_owned()),
            "password_hash_memory_kib" => Some("64".to_owned()),
            "password_hash_iterations" => Some("1".to_owned()),
            other => TestConfig.get(other)?,
        })
    }
}

/// Where the attempt buckets live in a test: as in the embedded default or as in production.
pub enum LimiterFixture {
    /// A test SQLite queue database.
    Sqlite(SqliteTestJobs),
    /// A key prefix of its own on the test Redis.
    Redis(RedisTestJobs),
}

impl LimiterFixture {
    /// The queue store on that fixture, as the components open it.
    fn store(&self) -> NativeJobs {
        match self {
            Self::Sqlite(fixture) => AnyJobs::Sqlite(fixture.store.clone()),
            Self::Redis(fixture) => AnyJobs::Redis(fixture.store.clone()),
        }
    }

    async fn finish(self) {
        match self {
            Self::Sqlite(fixture) => fixture.finish().await,
            Self::Redis(fixture) => fixture.finish().await,
        }
    }
}

/// The user API on a test store (accounts) and a queue store (the attempt buckets): SQLite and
/// SQLite as the embedded default runs, or Postgres and Redis as production does.
pub struct UsersHarness {
    /// Accounts, refresh tokens, the audit log.
    pub fixture: TestStore,
    /// The attempt buckets' store.
    pub limiter: NativeJobs,
    limiter_fixture: LimiterFixture,
    /// The settings it runs with.
    pub settings: UserSettings,
    admin: AdminSettings,
}

impl UsersHarness {
    /// A harness over `fixture`, hashing passwords with test-cheap parameters, its attempt
    /// buckets on SQLite for an SQLite `fixture` and on Redis for a Postgres one (the two
    /// deployments).
    pub async fn new(fixture: TestStore) -> Self {
        let settings = UserSettings::load(&UserTestConfig).expect("user settings");
        Self::with_settings(fixture, settings).await
    }

    /// A harness over `fixture` with the shipped Argon2id parameters (for benchmarks).
    pub async fn with_default_hashing(fixture: TestStore) -> Self {
        let mut settings = UserSettings::load(&UserTestConfig).expect("user settings");
        settings.hasher =
            hexaspin_core::user::PasswordHasher::new(hexaspin_core::user::PasswordParams::DEFAULT)
                .expect("default parameters");
        Self::with_settings(fixture, settings).await
    }

    async fn with_settings(fixture: TestStore, settings: UserSettings) -> Self {
        let limiter_fixture = match fixture.store.executor().dialect() {
            hexaspin_store_sql::Dialect::Sqlite => LimiterFixture::Sqlite(SqliteTestJobs::new().await),
            hexaspin_store_sql::Dialect::Postgres => LimiterFixture::Redis(RedisTestJobs::new().await),
        };
        Self {
            fixture,
            limiter: limiter_fixture.store(),
            limiter_fixture,
            settings,
            admin: AdminSettings::load(&TestConfig).expect("admin settings"),
        }
    }

    /// Sends any request at `now`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        now: Timestamp,
    ) -> Reply {
        self.send_via(&self.fixture.store, method, path, headers, body, now)
            .await
    }

    /// Sends JSON without a token at `now`, served over `store` (a wrapper of the fixture's).
    pub async fn post_via<S>(&self, store: &S, path: &str, body: serde_json::Value, now: Timestamp) -> Reply
    where
        S: UserStore + RefreshTokenStore + AuditLog,
    {
        self.send_via(store, "POST", path, &[], Some(&body.to_string()), now)
            .await
    }

    async fn send_via<S>(
        &self,
        store: &S,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        now: Timestamp,
    ) -> Reply
    where
        S: UserStore + RefreshTokenStore + AuditLog,
    {
        let request = build_request(method, path, headers, body);
        let api = UsersApi {
            store,
            limiter: &self.limiter,
            entropy: &OsEntropy,
            settings: &self.settings,
            admin_auth: &|| Ok(self.admin.auth.clone()),
        };
        Reply::from(api.handle(&request, now).await)
    }

    /// Sends JSON without a token.
    pub async fn post(&self, path: &str, body: serde_json::Value, now: Timestamp) -> Reply {
        self.send("POST", path, &[], Some(&body.to_string()), now).await
    }

    /// Sends JSON without a token from the client at `address` (as Spin reports the peer).
    pub async fn post_from(
        &self,
        address: &str,
        path: &str,
        body: serde_json::Value,
        now: Timestamp,
    ) -> Reply {
        let peer = format!("{address}:40000");
        let peer = if address.contains(':') {
            format!("[{address}]:40000")
        } else {
            peer
        };
        let headers = [(
            hexaspin_config::client_address::PEER_ADDRESS_HEADER,
            peer.as_str(),
        )];
        self.send("POST", path, &headers, Some(&body.to_string()), now)
            .await
    }

    /// Sends a request with `token` as the bearer.
    pub async fn with_token(
        &self,
        token: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
        now: Timestamp,
    ) -> Reply {
        let bearer = format!("Bearer {token}");
        let body = body.map(|b| b.to_string());
        self.send(
            method,
            path,
            &[("authorization", bearer.as_str())],
            body.as_deref(),
            now,
        )
        .await
    }

    /// Sends a request as the admin `alice`.
    pub async fn admin(&self, method: &str, path: &str, now: Timestamp) -> Reply {
        self.with_token(&admin_token("alice", now), method, path, None, now)
            .await
    }

    /// Signs up and signs in; returns the token response.
    pub async fn signed_in(&self, email: &str, password: &str, now: Timestamp) -> Reply {
        let credentials = serde_json::json!({ "email": email, "password": password });
        let up = self.post("/api/users", credentials.clone(), now).await;
        assert_eq!(up.status, 202, "{:?}", up.json);
        let session = self.post("/api/auth/token", credentials, now).await;
        assert_eq!(session.status, 200, "{:?}", session.json);
        session
    }

    /// Removes the databases.
    pub async fn finish(self) {
        self.fixture.finish().await;
        self.limiter_fixture.finish().await;
    }
}

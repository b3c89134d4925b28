//! Liveness and readiness as the `health` component answers them: the component's own choice of
//! what to check (`check_dependencies`) with real pings from the native adapters. Every store up
//! → 200 naming them; Postgres or Redis on a wrong port → 503 naming it.

use hexaspin_api::health::{Dependency, check_dependencies, respond};
use hexaspin_config::settings::{QueueSettings, StoreSettings};
use hexaspin_native::{NativeExecutor, NativeRedis};
use hexaspin_redis::RedisExecutor;
use hexaspin_store_sql::SqlStore;
use hexaspin_tests::api::{Reply, build_request};
use hexaspin_tests::fixtures::{test_pg_url, test_redis_url};

async fn ping_store(settings: &StoreSettings) -> Result<(), String> {
    let executor = match settings {
        StoreSettings::Sqlite { path } => NativeExecutor::sqlite(std::path::Path::new(path)),
        StoreSettings::Postgres { url } => NativeExecutor::postgres(url).await,
    }
    .map_err(|e| e.to_string())?;
    SqlStore::new(executor).ping().await.map_err(|e| e.to_string())
}

async fn ping_queue(settings: &QueueSettings) -> Result<(), String> {
    match settings {
        QueueSettings::Sqlite { .. } => Ok(()),
        QueueSettings::Redis { url, .. } => {
            let redis = NativeRedis::connect(url).await.map_err(|e| e.to_string())?;
            redis.ping().await.map_err(|e| e.to_string())
        }
    }
}

/// `GET /readyz` as the component answers it for these settings.
async fn readiness(store: StoreSettings, queue: QueueSettings) -> Reply {
    let dependencies = check_dependencies(
        Ok(store),
        Ok(queue),
        async |s| ping_store(s).await,
        async |q| ping_queue(q).await,
    )
    .await;
    get("/readyz", &dependencies)
}

fn get(path: &str, dependencies: &[Dependency]) -> Reply {
    Reply::from(respond(&build_request("GET", path, &[], None), dependencies))
}

fn postgres(url: &str) -> StoreSettings {
    StoreSettings::Postgres { url: url.to_owned() }
}

fn redis(url: &str) -> QueueSettings {
    QueueSettings::Redis {
        url: url.to_owned(),
        prefix: "hx:".to_owned(),
    }
}

fn checks(reply: &Reply) -> Vec<&str> {
    reply.json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect()
}

#[tokio::test]
async fn liveness_answers_without_asking_any_store() {
    for path in ["/health", "/healthz"] {
        let reply = get(path, &[]);
        assert_eq!((reply.status, reply.json["status"].as_str()), (200, Some("ok")));
        assert_eq!(reply.json["version"], env!("CARGO_PKG_VERSION"));
    }
    let post = Reply::from(respond(&build_request("POST", "/healthz", &[], None), &[]));
    assert_eq!((post.status, post.code()), (405, "method_not_allowed"));
}

#[tokio::test]
async fn readiness_is_200_naming_every_store_of_the_deployment_when_they_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.db").display().to_string();
    let embedded = readiness(
        StoreSettings::Sqlite { path: path.clone() },
        QueueSettings::Sqlite { path },
    )
    .await;
    assert_eq!(
        (embedded.status, checks(&embedded)),
        (200, vec!["sqlite"]),
        "{:?}",
        embedded.json
    );

    let production = readiness(postgres(&test_pg_url()), redis(&test_redis_url())).await;
    assert_eq!(production.json["status"], "ready");
    assert_eq!(
        (production.status, checks(&production)),
        (200, vec!["postgres", "redis"]),
        "{:?}",
        production.json
    );
}

#[tokio::test]
async fn readiness_is_503_naming_the_store_that_does_not_answer() {
    let postgres_down = readiness(
        postgres("postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2"),
        redis(&test_redis_url()),
    )
    .await;
    assert_eq!(
        (postgres_down.status, postgres_down.code()),
        (503, "dependency_unavailable")
    );
    assert_eq!(postgres_down.json["detail"], "postgres is not answering");
    assert!(
        !postgres_down.json.to_string().contains("127.0.0.1"),
        "no internals in the response"
    );

    let redis_down = readiness(postgres(&test_pg_url()), redis("redis://127.0.0.1:1/0")).await;
    assert_eq!(
        (redis_down.status, redis_down.json["detail"].as_str()),
        (503, Some("redis is not answering"))
    );
    assert_eq!(redis_down.header("retry-after"), Some("5"));
}

//! Liveness and readiness as the `health` component answers them, with real pings from the native
//! adapters: every store up → 200; Postgres or Redis on a wrong port → 503 naming it.

use hexaspin_api::health::{Dependency, respond};
use hexaspin_native::{NativeExecutor, NativeRedis};
use hexaspin_store_sql::SqlStore;
use hexaspin_tests::api::{Reply, build_request};
use hexaspin_tests::fixtures::{TestStore, test_pg_url, test_redis_url};

async fn postgres_at(url: &str) -> Dependency {
    let ping = match NativeExecutor::postgres(url).await {
        Ok(executor) => SqlStore::new(executor).ping().await.map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    Dependency {
        name: "postgres",
        ping,
    }
}

async fn redis_at(url: &str) -> Dependency {
    use hexaspin_redis::RedisExecutor;
    let ping = match NativeRedis::connect(url).await {
        Ok(redis) => redis.ping().await.map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    Dependency { name: "redis", ping }
}

fn get(path: &str, dependencies: &[Dependency]) -> Reply {
    Reply::from(respond(&build_request("GET", path, &[], None), dependencies))
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
async fn readiness_is_200_when_every_store_answers() {
    let sqlite = TestStore::sqlite().await;
    let dependencies = [
        Dependency {
            name: "sqlite",
            ping: sqlite.store.ping().await.map_err(|e| e.to_string()),
        },
        postgres_at(&test_pg_url()).await,
        redis_at(&test_redis_url()).await,
    ];
    let reply = get("/readyz", &dependencies);
    assert_eq!(
        (reply.status, reply.json["status"].as_str()),
        (200, Some("ready")),
        "{:?}",
        reply.json
    );
    assert_eq!(reply.json["checks"].as_array().expect("checks").len(), 3);
    sqlite.finish().await;
}

#[tokio::test]
async fn readiness_is_503_naming_the_store_that_does_not_answer() {
    let postgres_down = [
        postgres_at("postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2").await,
        redis_at(&test_redis_url()).await,
    ];
    let reply = get("/readyz", &postgres_down);
    assert_eq!((reply.status, reply.code()), (503, "dependency_unavailable"));
    assert_eq!(reply.json["detail"], "postgres is not answering");
    assert!(
        !reply.json.to_string().contains("127.0.0.1"),
        "no internals in the response"
    );

    let redis_down = [
        postgres_at(&test_pg_url()).await,
        redis_at("redis://127.0.0.1:1/0").await,
    ];
    let reply = get("/readyz", &redis_down);
    assert_eq!(
        (reply.status, reply.json["detail"].as_str()),
        (503, Some("redis is not answering"))
    );
    assert_eq!(reply.header("retry-after"), Some("5"));
}

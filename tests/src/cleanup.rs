//! What a test leaves on the shared servers, removed when its guard is dropped: at the end of a
//! passing test and also while a failing one unwinds, so a red run does not leave schemas and
//! keys behind to confuse the next.

/// Runs `work` to completion from `Drop`, which cannot await: on a thread and runtime of its own,
/// so it works whatever runtime (if any) the dropping code runs in, even one that is unwinding.
fn block_on_a_thread_of_its_own<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> std::thread::Result<T> {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(work)
    })
    .join()
}

/// A Postgres schema of one test, dropped with the guard.
#[derive(Debug)]
pub struct SchemaGuard(pub String);

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let schema = self.0.clone();
        let dropped = block_on_a_thread_of_its_own(async move {
            let url = crate::fixtures::test_pg_url();
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await
        });
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}: {dropped:?}", self.0);
        }
    }
}

/// A Redis key prefix of one test, its keys deleted with the guard.
#[derive(Debug)]
pub struct RedisKeysGuard(pub String);

impl Drop for RedisKeysGuard {
    fn drop(&mut self) {
        let prefix = self.0.clone();
        let deleted = block_on_a_thread_of_its_own(async move {
            crate::fixtures::test_redis().await.delete_prefix(&prefix).await
        });
        if !matches!(deleted, Ok(Ok(_))) {
            eprintln!("could not delete the test keys under {}: {deleted:?}", self.0);
        }
    }
}

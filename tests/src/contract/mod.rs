//! Port contract suites: one generic suite per port, instantiated for every adapter with
//! [`contract_suite!`](crate::contract_suite).

pub mod api_key_store;
pub mod audit_log;
pub mod job_admin;
pub mod jobs;
pub mod key_cache;
pub mod keyed_dispatch;
pub mod metrics;
pub mod rate_limiter;
pub mod storage_caps;
pub mod user_store;

/// Instantiates suite functions as `#[tokio::test]`s against every listed fixture, so each adapter
/// runs exactly the same list.
///
/// `contract_suite!(api_key_store: [a, b] on { sqlite: TestStore::sqlite(), postgres: TestStore::postgres() });`
/// makes modules `sqlite` and `postgres` in the calling module, each with one test per function,
/// each test on a fresh database.
#[macro_export]
macro_rules! contract_suite {
    ($suite:ident: $tests:tt on { $($adapter:ident: $fixture:expr),+ $(,)? }) => {
        $( $crate::contract_suite!(@adapter $suite, $adapter, $fixture, $tests); )+
    };
    (@adapter $suite:ident, $adapter:ident, $fixture:expr, [$($test:ident),* $(,)?]) => {
        mod $adapter {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $test() {
                    let fixture = $fixture.await;
                    $crate::contract::$suite::$test(&fixture.store).await;
                    fixture.finish().await;
                }
            )*
        }
    };
}

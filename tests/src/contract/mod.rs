//! Port contract suites: one generic suite per port, instantiated for every adapter with
//! [`contract_suite!`](crate::contract_suite).

pub mod api_key_store;
pub mod audit_log;

/// Instantiates suite functions as `#[tokio::test]`s against one fixture.
///
/// `contract_suite!(sqlite, TestStore::sqlite(), api_key_store: [a, b, …]);` makes a module
/// `sqlite` with one test per listed function, each on a fresh database.
#[macro_export]
macro_rules! contract_suite {
    ($adapter:ident, $fixture:expr, $suite:ident: [$($test:ident),* $(,)?]) => {
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

//! [`on_every_store!`](crate::on_every_store): one test function run once per store, for the test
//! files whose tests take a harness (the admin API's, the user service's). The port contract
//! suites have their own [`contract_suite!`](crate::contract_suite), which hands each test the
//! store itself.

/// Runs each listed `async fn(&Harness)` once per store, as a `#[tokio::test]` in a module
/// named after the store: the expression given for the store makes the harness (it may
/// `.await`), and the harness's `finish()` ends it, removing what the test made.
///
/// ```text
/// on_every_store!({
///     sqlite: AdminHarness::new(TestStore::sqlite().await),
///     postgres: AdminHarness::new(TestStore::postgres().await),
/// } [a_created_key_is_shown_once_and_verifies, keys_are_stored_only_as_peppered_hashes]);
/// ```
#[macro_export]
macro_rules! on_every_store {
    ({ $($store:ident: $harness:expr),+ $(,)? } $tests:tt) => {
        $( $crate::on_every_store!(@store $store, $harness, $tests); )+
    };
    (@store $store:ident, $harness:expr, [$($test:ident),* $(,)?]) => {
        mod $store {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test]
                async fn $test() {
                    let harness = $harness;
                    super::$test(&harness).await;
                    harness.finish().await;
                }
            )*
        }
    };
}

//! Spin's Redis replies as [`RedisValue`](crate::RedisValue)s, written once for both Spin
//! adapters: spin-sdk 5.2 and 7 both name the reply `redis::RedisResult`, with the same variants,
//! but they are different types.

/// Defines `convert` (a Spin Redis reply to a [`RedisValue`](crate::RedisValue)) in the calling
/// module, for the Spin SDK's `redis` module named: `spin_redis_conversion!(redis);`.
#[macro_export]
macro_rules! spin_redis_conversion {
    ($redis:ident) => {
        fn convert(value: $redis::RedisResult) -> $crate::RedisValue {
            match value {
                $redis::RedisResult::Nil => $crate::RedisValue::Nil,
                $redis::RedisResult::Status(s) => $crate::RedisValue::Text(s),
                $redis::RedisResult::Int64(n) => $crate::RedisValue::Int(n),
                $redis::RedisResult::Binary(bytes) => {
                    $crate::RedisValue::Text(String::from_utf8_lossy(&bytes).into_owned())
                }
            }
        }
    };
}

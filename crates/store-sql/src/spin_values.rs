//! [`SqlValue`](crate::SqlValue) to and from Spin's SQLite and Postgres values, and their errors
//! as store errors, written once for both Spin adapters: spin-sdk 5.2 (`sqlite`, `pg4`) and
//! spin-sdk 7 (`sqlite`, `pg`) name these types alike, with the same variants, but they are
//! different types.

/// Defines `to_sqlite`, `from_sqlite`, `to_pg`, `from_pg`, `sqlite_error` and `pg_failure` (of a
/// `PgError`) in the calling module for the Spin SDK modules named (in scope there):
/// `spin_value_conversions!(sqlite: sqlite, pg: pg4);`. The judgement itself is
/// [`crate::spin_failure`]'s.
#[macro_export]
macro_rules! spin_value_conversions {
    (sqlite: $sqlite:ident, pg: $pg:ident) => {
        fn to_sqlite(value: &$crate::SqlValue) -> $sqlite::Value {
            match value {
                $crate::SqlValue::Null => $sqlite::Value::Null,
                $crate::SqlValue::Int(n) => $sqlite::Value::Integer(*n),
                $crate::SqlValue::Real(x) => $sqlite::Value::Real(*x),
                $crate::SqlValue::Text(s) => $sqlite::Value::Text(s.clone()),
                $crate::SqlValue::Bool(b) => $sqlite::Value::Integer(i64::from(*b)),
            }
        }

        fn from_sqlite(
            value: $sqlite::Value,
        ) -> Result<$crate::SqlValue, ::hexaspin_core::ports::StoreError> {
            Ok(match value {
                $sqlite::Value::Null => $crate::SqlValue::Null,
                $sqlite::Value::Integer(n) => $crate::SqlValue::Int(n),
                $sqlite::Value::Real(x) => $crate::SqlValue::Real(x),
                $sqlite::Value::Text(s) => $crate::SqlValue::Text(s),
                $sqlite::Value::Blob(_) => {
                    return Err(::hexaspin_core::ports::StoreError::Corrupt(
                        "unexpected blob column".into(),
                    ));
                }
            })
        }

        fn to_pg(value: &$crate::SqlValue) -> $pg::ParameterValue {
            match value {
                $crate::SqlValue::Null => $pg::ParameterValue::DbNull,
                $crate::SqlValue::Int(n) => $pg::ParameterValue::Int64(*n),
                $crate::SqlValue::Real(x) => $pg::ParameterValue::Floating64(*x),
                $crate::SqlValue::Text(s) => $pg::ParameterValue::Str(s.clone()),
                $crate::SqlValue::Bool(b) => $pg::ParameterValue::Boolean(*b),
            }
        }

        fn from_pg(value: $pg::DbValue) -> Result<$crate::SqlValue, ::hexaspin_core::ports::StoreError> {
            Ok(match value {
                $pg::DbValue::DbNull => $crate::SqlValue::Null,
                $pg::DbValue::Int64(n) => $crate::SqlValue::Int(n),
                $pg::DbValue::Int32(n) => $crate::SqlValue::Int(i64::from(n)),
                $pg::DbValue::Int16(n) => $crate::SqlValue::Int(i64::from(n)),
                $pg::DbValue::Int8(n) => $crate::SqlValue::Int(i64::from(n)),
                $pg::DbValue::Boolean(b) => $crate::SqlValue::Bool(b),
                $pg::DbValue::Floating64(x) => $crate::SqlValue::Real(x),
                $pg::DbValue::Str(s) => $crate::SqlValue::Text(s),
                other => {
                    return Err(::hexaspin_core::ports::StoreError::Corrupt(format!(
                        "unexpected postgres value {other:?}"
                    )));
                }
            })
        }

        fn sqlite_error(error: $sqlite::Error) -> ::hexaspin_core::ports::StoreError {
            use ::hexaspin_core::ports::StoreError;
            match error {
                $sqlite::Error::Io(message) => $crate::spin_failure::sqlite_statement_failed(message),
                $sqlite::Error::NoSuchDatabase
                | $sqlite::Error::AccessDenied
                | $sqlite::Error::InvalidConnection => StoreError::Unavailable(error.to_string()),
                other => StoreError::Failed(other.to_string()),
            }
        }

        fn pg_failure(error: $pg::PgError) -> ::hexaspin_core::ports::StoreError {
            use $crate::spin_failure::{
                postgres_connection_failed, postgres_query_failed, postgres_statement_failed,
            };
            match error {
                $pg::PgError::ConnectionFailed(message) => postgres_connection_failed(message),
                $pg::PgError::QueryFailed($pg::QueryError::DbError(db)) => {
                    postgres_statement_failed(&db.code, db.message)
                }
                $pg::PgError::QueryFailed($pg::QueryError::Text(text)) => postgres_query_failed(text),
                other => ::hexaspin_core::ports::StoreError::Failed(format!("{other:?}")),
            }
        }
    };
}

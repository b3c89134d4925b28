//! [`NeverEmpty`]: every Postgres statement answers at least one row, so a Spin whose synchronous
//! `query` deadlocks on empty results still answers.
//!
//! Spin 4.0.0–4.0.2 (and its main branch until spinframework/spin#3673) never return from
//! `spin:postgres` `query` when the statement yields zero rows: the request hangs, no log line.
//! "No row matched" is ordinary here (an unknown key, a spent budget, an empty audit page), so the
//! Spin adapter sends each statement wrapped as
//!
//! ```sql
//! WITH hx_result AS MATERIALIZED (<statement>),
//!      hx_numbered AS (SELECT row_number() OVER () AS hx_ord, hx_result.* FROM hx_result)
//! SELECT hx_numbered.* FROM (VALUES (0)) AS hx_one (n) LEFT JOIN hx_numbered ON true
//! ORDER BY hx_numbered.hx_ord
//! ```
//!
//! The left join keeps one row of NULLs when the statement yields nothing; `hx_ord` is NULL only
//! in that row, and numbers the real rows in the order the statement produced them (the CTE is
//! materialised, so its rows keep that order). [`unwrap_rows`] turns the answer back into the
//! statement's own rows. Data-modifying statements must say `RETURNING` (every statement of
//! hexaspin's does): Postgres runs a data-modifying CTE exactly once, to completion.
//!
//! The same wrapper runs natively in the tests (with a check that the server really answered a
//! row), so what Spin is sent is proven on a real Postgres.

use hexaspin_core::ports::StoreError;

use crate::executor::{Dialect, ScriptExecutor, SqlExecutor, SqlTransaction, TransactionalExecutor};
use crate::value::{Row, SqlValue};

/// `statement` wrapped so that it always yields at least one row; see the module docs.
pub fn wrap(statement: &str) -> String {
    // A statement ending in `;` or a line comment must not swallow the closing parenthesis.
    let statement = statement.trim_end().trim_end_matches(';');
    format!(
        "WITH hx_result AS MATERIALIZED (\n{statement}\n),\n\
         hx_numbered AS (SELECT row_number() OVER () AS hx_ord, hx_result.* FROM hx_result)\n\
         SELECT hx_numbered.* FROM (VALUES (0)) AS hx_one (n) LEFT JOIN hx_numbered ON true\n\
         ORDER BY hx_numbered.hx_ord"
    )
}

/// The statement's own rows from the answer to [`wrap`]: the placeholder row dropped, the
/// ordinal column removed. An answer without any row means the wrapper was bypassed.
pub fn unwrap_rows(rows: Vec<Row>) -> Result<Vec<Row>, StoreError> {
    if rows.is_empty() {
        return Err(StoreError::Corrupt(
            "a wrapped statement answered no row at all".into(),
        ));
    }
    rows.into_iter()
        .filter_map(|mut row| match row.first() {
            Some(SqlValue::Null) => None,
            Some(_) => {
                row.remove(0);
                Some(Ok(row))
            }
            None => Some(Err(StoreError::Corrupt(
                "a wrapped statement answered a row without its ordinal".into(),
            ))),
        })
        .collect()
}

/// An executor whose Postgres statements are sent through [`wrap`] and read back with
/// [`unwrap_rows`]; SQLite statements pass through untouched.
#[derive(Debug, Clone)]
pub struct NeverEmpty<E>(pub E);

impl<E: SqlExecutor> SqlExecutor for NeverEmpty<E> {
    fn dialect(&self) -> Dialect {
        self.0.dialect()
    }

    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        match self.0.dialect() {
            Dialect::Postgres => unwrap_rows(self.0.query(&wrap(sql), params).await?),
            Dialect::Sqlite => self.0.query(sql, params).await,
        }
    }
}

/// A transaction whose Postgres statements are wrapped like [`NeverEmpty`]'s.
pub struct NeverEmptyTransaction<T> {
    transaction: T,
    dialect: Dialect,
}

impl<T: SqlTransaction> SqlTransaction for NeverEmptyTransaction<T> {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        match self.dialect {
            Dialect::Postgres => unwrap_rows(self.transaction.query(&wrap(sql), params).await?),
            Dialect::Sqlite => self.transaction.query(sql, params).await,
        }
    }

    async fn commit(self) -> Result<(), StoreError> {
        self.transaction.commit().await
    }
}

impl<E: TransactionalExecutor> TransactionalExecutor for NeverEmpty<E> {
    type Transaction<'a>
        = NeverEmptyTransaction<E::Transaction<'a>>
    where
        Self: 'a;

    async fn begin_write(&self) -> Result<Self::Transaction<'_>, StoreError> {
        Ok(NeverEmptyTransaction {
            transaction: self.0.begin_write().await?,
            dialect: self.0.dialect(),
        })
    }
}

impl<E: ScriptExecutor> ScriptExecutor for NeverEmpty<E> {
    async fn run_script(&self, sql: &str) -> Result<(), StoreError> {
        self.0.run_script(sql).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_semicolon_and_a_closing_comment_stay_inside_the_wrapper() {
        let wrapped = wrap("SELECT 1\n-- the end");
        assert!(wrapped.contains("SELECT 1\n-- the end\n),"), "{wrapped}");
        let wrapped = wrap("SELECT 1;  \n");
        assert!(wrapped.contains("(\nSELECT 1\n),"), "{wrapped}");
    }

    #[test]
    fn the_placeholder_row_means_no_rows() {
        let placeholder = vec![vec![SqlValue::Null, SqlValue::Null, SqlValue::Null]];
        assert_eq!(unwrap_rows(placeholder).expect("unwrap"), Vec::<Row>::new());
    }

    #[test]
    fn real_rows_lose_their_ordinal_and_keep_their_order() {
        let rows = vec![
            vec![SqlValue::Int(1), SqlValue::Text("b".into()), SqlValue::Null],
            vec![SqlValue::Int(2), SqlValue::Text("a".into()), SqlValue::Int(7)],
        ];
        assert_eq!(
            unwrap_rows(rows).expect("unwrap"),
            vec![
                vec![SqlValue::Text("b".into()), SqlValue::Null],
                vec![SqlValue::Text("a".into()), SqlValue::Int(7)],
            ]
        );
    }

    #[test]
    fn an_empty_answer_is_an_error_because_the_wrapper_always_yields_a_row() {
        assert!(matches!(unwrap_rows(Vec::new()), Err(StoreError::Corrupt(_))));
    }
}

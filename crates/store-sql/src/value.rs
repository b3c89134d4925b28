//! Values crossing the adapter boundary, whatever the database.

use hexaspin_core::ports::StoreError;

/// A parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    /// NULL.
    Null,
    /// Any integer column (stored as 64 bits).
    Int(i64),
    /// A floating-point column.
    Real(f64),
    /// Text (also JSON, read back as text).
    Text(String),
    /// A boolean (Postgres BOOLEAN; SQLite stores 0/1 and reads back as `Int`).
    Bool(bool),
}

impl From<Option<i64>> for SqlValue {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Self::Null, Self::Int)
    }
}

impl From<Option<String>> for SqlValue {
    fn from(value: Option<String>) -> Self {
        value.map_or(Self::Null, Self::Text)
    }
}

impl From<Option<&str>> for SqlValue {
    fn from(value: Option<&str>) -> Self {
        value.map_or(Self::Null, |s| Self::Text(s.to_owned()))
    }
}

/// One result row.
pub type Row = Vec<SqlValue>;

/// Reads typed columns from a row by position, reporting mismatches as [`StoreError::Corrupt`].
pub struct Columns<'a> {
    row: &'a [SqlValue],
}

impl<'a> Columns<'a> {
    /// Wraps a row.
    pub fn new(row: &'a [SqlValue]) -> Self {
        Self { row }
    }

    fn get(&self, index: usize) -> Result<&'a SqlValue, StoreError> {
        self.row
            .get(index)
            .ok_or_else(|| StoreError::Corrupt(format!("row has no column {index}")))
    }

    /// A non-null integer.
    pub fn int(&self, index: usize) -> Result<i64, StoreError> {
        self.opt_int(index)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {index} is NULL")))
    }

    /// A nullable integer.
    pub fn opt_int(&self, index: usize) -> Result<Option<i64>, StoreError> {
        match self.get(index)? {
            SqlValue::Null => Ok(None),
            SqlValue::Int(n) => Ok(Some(*n)),
            other => Err(mismatch(index, "integer", other)),
        }
    }

    /// A nullable non-negative integer.
    pub fn opt_u64(&self, index: usize) -> Result<Option<u64>, StoreError> {
        self.opt_int(index)?
            .map(|n| u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("column {index} is negative"))))
            .transpose()
    }

    /// A nullable integer that fits 32 bits.
    pub fn opt_u32(&self, index: usize) -> Result<Option<u32>, StoreError> {
        self.opt_int(index)?
            .map(|n| {
                u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("column {index} is out of range")))
            })
            .transpose()
    }

    /// A non-null text.
    pub fn text(&self, index: usize) -> Result<String, StoreError> {
        self.opt_text(index)?
            .ok_or_else(|| StoreError::Corrupt(format!("column {index} is NULL")))
    }

    /// A nullable text.
    pub fn opt_text(&self, index: usize) -> Result<Option<String>, StoreError> {
        match self.get(index)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(s) => Ok(Some(s.clone())),
            other => Err(mismatch(index, "text", other)),
        }
    }

    /// A boolean, from a Postgres BOOLEAN or an SQLite 0/1.
    pub fn bool(&self, index: usize) -> Result<bool, StoreError> {
        match self.get(index)? {
            SqlValue::Bool(b) => Ok(*b),
            SqlValue::Int(0) => Ok(false),
            SqlValue::Int(1) => Ok(true),
            other => Err(mismatch(index, "boolean", other)),
        }
    }
}

fn mismatch(index: usize, wanted: &str, found: &SqlValue) -> StoreError {
    StoreError::Corrupt(format!("column {index}: expected {wanted}, found {found:?}"))
}

//! Schemas of values whose set the domain defines: written from the domain's own lists, so the
//! document cannot name a state the code does not know.

use hexaspin_core::api_key::KeyState;
use hexaspin_core::job::JobState;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};

/// A job state name (`queued`, `dead`, …).
pub fn job_state() -> ObjectBuilder {
    names(JobState::ALL.iter().map(|s| s.as_str()))
}

/// A key state name (`active`, `revoked`, …).
pub fn key_state() -> ObjectBuilder {
    names(KeyState::ALL.iter().map(|s| s.as_str()))
}

/// A key's scopes: up to 32 of 1–64 characters of `a-z 0-9 : . _ -`.
pub fn scope_list() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[a-z0-9:._-]{1,64}$")),
        )
        .max_items(Some(32))
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names.collect::<Vec<_>>()))
}

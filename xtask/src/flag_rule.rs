//! How a `HEXASPIN_REQUIRE_*` flag is read, in one file that both xtask (which sets the flags) and
//! the tests' `prerequisites` module (which reads them, through `#[path]`: the tests crate does
//! not depend on xtask) compile, so the two cannot read a flag differently.

/// A flag's value means "required" unless it is absent, empty or `0`.
pub fn flag_is_on(value: Option<&str>) -> bool {
    value.is_some_and(|value| !value.is_empty() && value != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_is_on_when_set_to_anything_but_empty_or_zero() {
        assert!(flag_is_on(Some("1")));
        assert!(flag_is_on(Some("yes")));
        assert!(!flag_is_on(Some("0")));
        assert!(!flag_is_on(Some("")));
        assert!(!flag_is_on(None));
    }
}

//! The store port contract suites, run against every native adapter on real databases.

use hexaspin_tests::contract_suite;
use hexaspin_tests::fixtures::TestStore;

mod api_key_store {
    use super::*;

    contract_suite!(api_key_store: [
        a_key_with_every_field_reads_back_identically,
        a_key_with_only_required_fields_reads_back_identically,
        an_unknown_id_is_not_found,
        inserting_an_existing_id_is_a_conflict,
        an_update_replaces_only_the_version_that_was_read,
        updating_an_unknown_key_reports_no_change,
        keys_list_newest_first_and_page_by_cursor,
        keys_filter_by_owner,
        keys_filter_by_state_exactly_as_the_domain_decides,
        the_limit_caps_a_page,
    ] on { sqlite: TestStore::sqlite(), postgres: TestStore::postgres() });
}

mod audit_log {
    use super::*;

    contract_suite!(audit_log: [
        entries_list_newest_first_with_every_field,
        entries_page_by_cursor_and_filter_by_key,
    ] on { sqlite: TestStore::sqlite(), postgres: TestStore::postgres() });
}

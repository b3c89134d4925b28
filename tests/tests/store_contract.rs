//! The store port contract suites, run against every native adapter on real databases.

use hexaspin_tests::contract_suite;
use hexaspin_tests::fixtures::TestStore;

/// Runs a suite function that takes two connections to one store (as two app instances hold)
/// on SQLite and on Redis, in a module `two_connections`.
macro_rules! on_two_connections {
    ($test:path) => {
        mod two_connections {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let fixture = SqliteTestJobs::new().await;
                let other = fixture.another_connection();
                $test(&fixture.store, &other).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                let fixture = RedisTestJobs::new().await;
                let other = fixture.another_connection().await;
                $test(&fixture.store, &other).await;
            }
        }
    };
}

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
        uses_are_consumed_down_to_zero_and_refunded,
        uses_are_refilled_when_a_new_period_began,
        keys_without_a_budget_are_unlimited,
        keys_are_counted_by_state_as_the_domain_decides,
    ] on {
        sqlite: TestStore::sqlite(),
        postgres: TestStore::postgres(),
        postgres_as_spin_sends: TestStore::postgres_as_spin_sends(),
    });
}

mod audit_log {
    use super::*;

    contract_suite!(audit_log: [
        entries_list_newest_first_with_every_field,
        entries_page_by_cursor_and_filter_by_key,
    ] on {
        sqlite: TestStore::sqlite(),
        postgres: TestStore::postgres(),
        postgres_as_spin_sends: TestStore::postgres_as_spin_sends(),
    });
}

mod user_store {
    use super::*;

    contract_suite!(user_store: [
        an_account_reads_back_by_id_and_by_email,
        a_taken_email_or_id_is_a_conflict,
        an_update_replaces_only_the_version_that_was_read,
        an_audited_change_stores_its_entry_and_a_stale_one_stores_neither,
        accounts_list_newest_first_filter_and_page,
        deleting_an_account_removes_it_and_its_sessions,
        a_refresh_token_works_once_and_a_replay_names_its_family,
        a_family_opens_only_at_the_accounts_current_epoch_while_active,
        moving_the_session_epoch_ends_every_family_of_the_account,
        revoking_a_family_ends_its_tokens_only,
        a_family_ends_at_its_absolute_end,
        purging_removes_only_a_users_expired_tokens_and_ended_families,
    ] on {
        sqlite: TestStore::sqlite(),
        postgres: TestStore::postgres(),
        postgres_as_spin_sends: TestStore::postgres_as_spin_sends(),
    });
}

mod jobs {
    use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

    use super::*;

    contract_suite!(jobs: [
        a_dispatched_job_is_stored_and_queued,
        a_future_job_waits_until_promoted_when_due,
        a_repeated_idempotency_key_returns_the_original_job,
        the_rate_limit_refuses_beyond_the_burst_and_stores_nothing,
        the_daily_quota_refuses_until_the_next_day,
        a_batch_judges_and_stores_each_job_on_its_own,
        claims_follow_priority_then_dispatch_order,
        claims_respect_per_key_concurrency_without_blocking_other_keys,
        claims_take_only_the_kinds_the_worker_has_loaded,
        claims_take_no_more_of_a_kind_than_its_free_slots,
        a_capped_keys_long_backlog_does_not_starve_other_keys,
        a_cancelled_or_deleted_waiting_job_hands_its_keys_free_slot_on,
        ack_records_success_for_the_lease_holder_only,
        acks_in_one_call_record_each_held_job,
        failures_retry_until_attempts_run_out_then_the_job_is_dead,
        a_released_job_is_queued_again_without_using_an_attempt,
        expired_leases_are_rescued,
        expired_leases_are_rescued_in_bounded_batches,
        an_expired_lease_on_a_job_whose_cancel_was_asked_ends_it_cancelled,
        cancellation_depends_on_the_state,
        queue_depths_count_jobs_by_state_and_priority,
        reconciling_correct_depths_changes_nothing,
        lists_filter_by_key_and_state_and_page_newest_first,
        cleaning_removes_only_old_finished_jobs,
        a_worker_ends_a_cancelled_running_job_as_cancelled,
        a_job_the_worker_gives_up_on_is_dead,
        a_state_listing_over_a_long_history_finds_the_oldest_match,
    ] on { sqlite: SqliteTestJobs::new(), redis: RedisTestJobs::new() });

    on_two_connections!(hexaspin_tests::contract::jobs::concurrent_repeats_on_two_connections_create_one_job);
}

mod job_admin {
    use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

    use super::*;

    contract_suite!(job_admin: [
        dead_jobs_can_be_retried_and_jobs_deleted,
    ] on { sqlite: SqliteTestJobs::new(), redis: RedisTestJobs::new() });

    on_two_connections!(
        hexaspin_tests::contract::job_admin::concurrent_admin_actions_on_one_job_each_find_it_once
    );
}

mod rate_limiter {
    use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

    use super::*;

    contract_suite!(rate_limiter: [
        a_bucket_admits_its_burst_then_refuses_until_its_next_token,
        one_empty_bucket_refuses_the_attempt_and_charges_none,
        a_token_given_back_can_be_taken_again_and_never_overfills,
        an_hourly_rule_refills_one_token_per_interval,
        fifty_concurrent_attempts_get_exactly_the_smaller_burst,
    ] on { sqlite: SqliteTestJobs::new(), redis: RedisTestJobs::new() });
}

mod key_cache {
    use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

    use super::*;

    contract_suite!(key_cache: [
        a_lookup_returns_the_record_put_or_nothing,
        a_fill_that_read_the_key_before_a_change_cannot_bring_it_back,
        an_older_record_never_replaces_a_newer_one_and_a_fence_never_falls,
        a_fence_drops_even_a_copy_newer_than_the_change,
        concurrent_late_fills_never_outlive_a_fence,
        a_lookup_is_charged_to_its_buckets_and_refused_looks_nothing_up,
        only_a_secret_matching_the_cached_record_goes_uncharged,
    ] on { sqlite: SqliteTestJobs::new(), redis: RedisTestJobs::new() });
}

mod keyed_dispatch {
    use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

    use super::*;

    contract_suite!(keyed_dispatch: [
        only_a_key_the_cache_can_judge_alone_is_dispatched,
        concurrent_keyed_dispatches_get_exactly_the_keys_burst_each_counted_once,
        a_keyed_access_reads_and_cancels_only_the_keys_own_job,
    ] on { sqlite: SqliteTestJobs::new(), redis: RedisTestJobs::new() });
}

mod storage_caps {
    use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

    use super::*;

    contract_suite!(storage_caps: [
        a_key_at_its_scheduled_cap_gets_room_back_as_jobs_come_due_or_are_cancelled,
        a_keys_stored_bytes_come_back_when_its_jobs_are_deleted_or_cleaned,
    ] on { sqlite: SqliteTestJobs::new(), redis: RedisTestJobs::new() });
}

mod metrics {
    use hexaspin_tests::fixtures::{RedisTestJobs, SqliteTestJobs};

    use super::*;

    contract_suite!(metrics: [
        job_outcomes_are_counted_by_kind,
        request_counts_add_up,
        heartbeats_keep_the_latest_instant_per_worker,
    ] on { sqlite: SqliteTestJobs::new(), redis: RedisTestJobs::new() });
}

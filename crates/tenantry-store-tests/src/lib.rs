//! The conformance suite every [`tenantry_core::store::Store`] must pass.
//!
//! The tests drive the core services over a store, so they check the store's transactions and
//! the authorization rules together, on whichever database the store speaks. A store crate
//! runs the whole suite with one line in its tests:
//!
//! ```ignore
//! tenantry_store_tests::conformance_suite!(crate::fresh_database);
//! ```
//!
//! where `fresh_database()` is an `async fn() -> Option<TestDb>` giving each test an empty
//! database of its own, so tests run in parallel, or `None` when that database is not
//! available here (the test then reports itself skipped and passes).
//!
//! Map: [`harness`] (a ready-made installation with helpers), then one module per area:
//! [`accounts`], [`seats`], [`users`], [`auth`], [`credentials`], [`devices`], [`device_tokens`],
//! [`org_secrets`], [`lockout`], [`signup`], [`invitations`], [`recovery`], [`outbox`],
//! [`audit`], [`invariants`], [`search`], [`free_text`]; and [`plans`], the lists whose query
//! plans each store checks use an index.

// A test-support crate: a failed expectation is a failed test, so panicking is the point.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod credentials;
pub mod device_tokens;
pub mod devices;
pub mod free_text;
pub mod harness;
pub mod invariants;
pub mod invitations;
pub mod lockout;
pub mod login_writes;
pub mod org_secrets;
pub mod outbox;
pub mod plans;
pub mod recovery;
pub mod search;
pub mod seats;
pub mod signup;
pub mod users;

pub use harness::{Harness, TestDb};

/// Generates one `#[tokio::test]` per conformance test, each on a fresh database from
/// `$factory`. Adding a test here adds it to every store.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::__conformance_tests! { $factory;
            accounts {
                roots_need_a_service_token,
                children_nest_and_list,
                reads_outside_the_subtree_look_absent,
                updates_change_and_clear_fields,
                only_an_ancestor_changes_seats_or_status,
                delete_refuses_children_and_returns_seats,
                delete_of_own_account_needs_owner,
                external_ids_are_unique_per_tenant,
                users_cannot_create_accounts,
                nobody_deletes_an_account_holding_a_user_who_outranks_them,
            },
            seats {
                moves_conserve_seats,
                moves_only_between_parent_and_direct_child,
                devices_need_a_free_seat,
                root_allocation_covers_commitments,
                concurrent_moves_keep_the_invariant,
            },
            users {
                emails_are_unique_ignoring_case,
                usernames_are_unique_ignoring_case,
                nobody_grants_above_their_rank,
                role_changes_follow_the_rules,
                users_see_only_themselves_without_view_users,
                updates_by_self_and_by_admins,
                deleting_a_user_ends_their_sessions,
                me_shows_the_user_with_their_account_as_it_is_now,
                lists_page_by_cursor_and_cover_subtrees,
                changes_decided_against_a_stale_role_are_refused,
                users_created_at_once_each_get_their_own_answer,
                a_user_for_an_account_that_is_gone_is_refused,
            },
            auth {
                login_issues_working_tokens,
                login_failures_look_the_same,
                refresh_rotates_and_works_once,
                logout_ends_the_session,
                suspension_and_disabling_take_effect_at_once,
                tokens_expire,
                service_tokens_can_be_revoked_and_expire,
                password_change_ends_other_sessions,
                expired_sessions_are_purged,
                refreshes_are_audited,
                the_last_owner_stays,
            },
            login_writes {
                a_login_records_the_last_login_and_the_accounts_activity,
                a_login_checked_against_a_changed_user_is_refused,
                concurrent_logins_of_one_user_all_succeed,
            },
            credentials {
                cached_credentials_follow_changes_at_once,
            },
            device_tokens {
                certificate_tokens_work_for_twelve_hours,
                seat_tokens_add_seats_once_along_the_chain,
                a_seat_token_is_redeemed_once_under_races,
                device_statistics_split_own_and_below,
            },
            signup {
                sign_up_makes_tenants_and_completes_invitations,
                disabled_invitees_do_not_sign_up_through_old_links,
            },
            invitations {
                invitations_are_mailed_and_accepted_once,
                invitations_are_managed_only_with_authority,
                a_changed_address_voids_what_was_mailed_to_the_old_one,
                stale_invitations_never_override_a_chosen_password,
            },
            recovery {
                password_resets_work_once_and_expire,
                a_password_reset_ends_every_session_and_lifts_a_lockout,
                disabled_sign_up_answers_the_same_for_every_address,
                email_addresses_are_verified_with_their_token,
            },
            outbox {
                claims_are_exclusive_leases,
                concurrent_claims_never_share_a_mail,
                administrators_read_their_own_mail_without_tokens,
                the_dispatcher_retries_backs_off_and_gives_up,
                without_a_mail_server_mails_are_logged_and_kept,
                a_nearly_spent_claim_is_given_back_unattempted,
            },
            lockout {
                a_name_that_is_an_email_and_a_username_logs_in_whoever_owns_the_password,
                repeated_wrong_passwords_lock_a_user_for_a_growing_while,
                a_client_address_is_throttled_after_many_failures,
            },
            org_secrets {
                first_uses_of_a_secret_agree_and_rotation_replaces_it,
                deactivating_with_users_disables_them_for_good,
                offsets_skip_rows_in_order,
            },
            devices {
                devices_are_scoped_and_counted,
                serials_are_unique_per_tenant,
                device_lists_page,
            },
            audit {
                changes_are_audited_with_request_ids,
                audit_is_scoped_to_the_subtree,
            },
            search {
                scim_filters_select_the_right_rows,
                filters_are_two_valued_under_any_nesting,
                timestamps_and_integers_compare_as_such,
                sorted_pages_cover_every_row_once,
                cursors_are_bound_to_their_query_and_tamper_evident,
                counts_are_exact_below_the_cap,
                lists_stay_inside_the_callers_subtree,
                injection_attempts_are_inert,
                audit_records_filter_by_action_and_time,
                a_records_history_is_found_by_its_target_within_each_scope,
            },
            free_text {
                free_text_search_finds_substrings_in_any_field,
                search_follows_updates_and_deletes,
                free_text_pages_reach_matches_past_a_crowded_start,
                free_text_pages_reach_matches_past_a_second_walk,
                free_text_offsets_skip_matches_in_order,
                free_text_within_a_tenant_finds_its_own_matches,
            },
            invariants {
                a_busy_tree_stays_consistent,
                concurrent_signups_keep_emails_unique,
                concurrent_child_churn_keeps_seats,
                bulk_loaded_rows_are_consistent_and_searchable,
            },
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($factory:path; $($module:ident { $($test:ident),* $(,)? }),* $(,)?) => {
        $(
            mod $module {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $test() {
                        if let Some(db) = $factory().await {
                            $crate::$module::$test($crate::Harness::new(db).await).await;
                        }
                    }
                )*
            }
        )*
    };
}

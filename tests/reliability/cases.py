"""The 25 fault cases of the reliability reference, each mapped to its tests.

The cases are those of "Bad input and faults uxlab must survive" in the
reliability reference. Every test named here carries the ``reliability``
marker, so ``pytest -m reliability`` runs the whole suite; most live beside the
code they test, and tests/reliability/ holds those that belong to no other
module. tests/reliability/test_cases.py checks that every case from 1 to 25 is
mapped, that each test named exists and that it carries the marker.

Slow cases run here in reduced sizes (``make test`` has a 10-minute budget); the
full sizes run in ``make bench`` (benchmarks/load_bench.py: 200 participants
for 2 minutes with a researcher exporting; benchmarks/ingest_bench.py: kill -9
of a worker on PostgreSQL). Tests that need PostgreSQL or a browser are skipped
with their reason where those cannot be had.

======  ==============================================================
Case    Tests (``path::function``)
======  ==============================================================
1       tests/browser/test_recorder_browser.py::test_tab_closed_mid_task_leftovers_flushed
        tests/browser/test_recorder_browser.py::test_without_storage_or_random_uuid
2       tests/browser/test_recorder_browser.py::test_offline_for_a_while
3       tests/browser/test_recorder_browser.py::test_ingest_answering_500_three_times
4       tests/browser/test_recorder_browser.py::test_same_batch_sent_twice
        tests/test_recorder.py::test_batch_stored_once_and_resend_absorbed
        tests/test_recorder.py::test_a_batch_sent_to_two_processes_at_once_is_stored_once
5       tests/browser/test_recorder_browser.py::test_batch_with_one_malformed_event
        tests/test_recorder.py::test_one_malformed_event_costs_only_itself
        tests/test_recorder.py::test_each_malformed_event_is_named
        tests/test_recorder.py::test_invalid_utf8_bytes_reject_only_their_event
6       tests/reliability/test_oversized_batch_browser.py::test_batches_halve_until_they_fit_and_only_the_giant_is_dropped
        tests/web/test_api.py::test_oversized_body_is_413_before_reading
7       tests/web/test_api.py::test_bad_bodies
        tests/web/test_api.py::test_gzip_body_is_refused
        tests/web/test_api.py::test_chunked_oversized_body_is_413
        tests/reliability/test_api_fuzz.py::test_no_500_and_every_error_has_its_shape
8       tests/web/test_api.py::test_bad_token_is_401
        tests/web/test_api.py::test_closed_study_is_410
        tests/test_recorder.py::test_bad_token_and_closed_study
        tests/browser/test_recorder_browser.py::test_bad_token_stops_recording
        tests/web/test_token_guessing.py::test_unknown_tokens_are_throttled_per_address
9       tests/test_recorder.py::test_spoofed_ids_are_rejected_and_other_data_untouched
10      tests/test_client_clock.py::test_a_client_duration_far_from_the_servers_is_replaced_and_flagged
        tests/test_client_clock.py::test_a_plausible_client_duration_is_kept
        tests/browser/test_participant_flow.py::test_a_clock_change_and_a_reload_mid_task_keep_the_browsers_duration
11      tests/browser/test_recorder_browser.py::test_one_attempt_in_two_tabs_numbers_each_tabs_events
        tests/test_two_tabs.py::test_each_tab_numbers_its_own_events_and_gaps_are_found_per_tab
12      tests/browser/test_participant_flow.py::test_participant_takes_a_whole_study
        tests/web/test_participant.py::test_whole_study_with_forms_autosave_and_resume
        tests/test_progress.py::test_progress_counts_each_saved_answer
13      tests/web/test_participant.py::test_resume_link_works_in_a_new_browser
        tests/web/test_participant.py::test_study_closed_midway_shows_closed_and_keeps_partial_data
14      tests/test_concurrency.py::test_double_submitted_answers_move_the_participant_on_once
        tests/test_concurrency.py::test_double_clicked_done_ends_the_task_once
        tests/test_concurrency.py::test_double_pressed_start_makes_one_attempt
        tests/test_concurrency.py::test_double_submits_over_http_show_no_error_page
15      tests/web/test_participant.py::test_invalid_form_answers_get_422_naming_items_and_valid_ones_are_kept
        tests/web/test_participant.py::test_invalid_json_answers_get_422
        tests/web/test_participant.py::test_one_megabyte_text_is_refused_and_huge_bodies_are_413
        tests/test_questionnaires.py::test_invalid_sus_answers
        tests/test_questionnaires.py::test_nps_range
16      tests/web/test_participant.py::test_answers_and_tasks_before_consent_are_forbidden
        tests/web/test_participant.py::test_decline_leaves_only_a_count
        tests/web/test_withdrawal.py::test_withdrawing_deletes_everything_and_leaves_a_count
17      tests/web/test_participant.py::test_hostile_study_text_is_sanitised_everywhere
        tests/web/test_researcher.py::test_hostile_study_text_is_escaped_or_sanitised
        tests/test_text.py::test_hostile_markdown_is_neutralised
18      tests/web/test_isolation.py::test_other_researchers_study_is_404_everywhere
        tests/web/test_isolation.py::test_other_researchers_invite_is_404_under_own_study
        tests/web/test_isolation.py::test_an_outsider_gets_404_for_every_route_of_the_workspace
19      tests/web/test_researcher.py::test_posts_without_csrf_token_are_400_and_change_nothing
        tests/web/test_participant.py::test_forms_and_autosave_need_the_csrf_token
        tests/web/test_api.py::test_foreign_origin_is_refused_without_cors
        tests/browser/test_recorder_browser.py::test_foreign_origin_is_refused
20      tests/web/test_auth.py::test_login_is_rate_limited
        tests/web/test_token_guessing.py::test_a_lab_behind_one_address_is_not_throttled
        tests/reliability/test_many_connections.py::test_a_participant_past_the_hundredth_open_connection_is_answered
21      tests/reliability/test_sigkill.py::test_events_survive_a_kill_9_under_load
        tests/test_serve_processes.py::test_two_processes_share_one_participant
22      tests/reliability/test_concurrent_writers.py::test_read_then_write_under_begin_immediate_never_fails
        tests/reliability/test_concurrent_writers.py::test_the_deferred_read_then_write_of_old_is_caught
        tests/reliability/test_concurrent_writers.py::test_an_export_is_logged_after_participants_wrote_meanwhile
        tests/test_recorder.py::test_concurrent_batches_never_lock
        tests/test_db.py::test_begin_write_serialises_read_then_write_units
23      tests/reliability/test_storage_faults.py::test_a_refused_write_is_503_logged_once_and_recovers
        tests/reliability/test_storage_faults.py::test_a_researcher_page_that_writes_answers_503_too
24      tests/reliability/test_migration_round_trip.py::test_upgrade_downgrade_upgrade_keeps_every_row_and_value
        tests/reliability/test_upgrade_backup.py::test_the_copy_before_an_upgrade_holds_what_is_still_in_the_wal
        tests/reliability/test_upgrade_backup.py::test_a_failed_migration_is_one_line_naming_its_step_and_the_copy
        tests/test_db.py::test_upgrade_keeps_rows_and_copies_the_file_first
        tests/test_db.py::test_migrations_create_exactly_the_models_schema
        tests/test_workspace_migration.py::test_0004_downgrades_to_0003_keeping_studies
25      tests/test_export.py::test_formula_text_is_neutralised_and_round_trips
        tests/test_export.py::test_neutralise_every_formula_start
        tests/test_export_text.py::test_control_characters_do_not_break_the_workbook
        tests/test_export_text.py::test_control_characters_stay_exact_in_csv_and_json
        tests/test_export_text.py::test_the_codebook_says_how_to_recover_the_exact_text
======  ==============================================================
"""

from __future__ import annotations

#: Case number -> (the case, in short; the tests that cover it).
CASES: dict[int, tuple[str, list[str]]] = {
    1: (
        "Tab closed mid-task with events still queued",
        [
            "tests/browser/test_recorder_browser.py::test_tab_closed_mid_task_leftovers_flushed",
            "tests/browser/test_recorder_browser.py::test_without_storage_or_random_uuid",
        ],
    ),
    2: (
        "Network drops for a while mid-task",
        [
            "tests/browser/test_recorder_browser.py::test_offline_for_a_while",
        ],
    ),
    3: (
        "Ingest answers 500 for the first three attempts",
        [
            "tests/browser/test_recorder_browser.py::test_ingest_answering_500_three_times",
        ],
    ),
    4: (
        "Batch committed and the response lost; resend and beacon racing",
        [
            "tests/browser/test_recorder_browser.py::test_same_batch_sent_twice",
            "tests/test_recorder.py::test_batch_stored_once_and_resend_absorbed",
            "tests/test_recorder.py::test_a_batch_sent_to_two_processes_at_once_is_stored_once",
        ],
    ),
    5: (
        "Mixed batch: valid events plus one malformed",
        [
            "tests/browser/test_recorder_browser.py::test_batch_with_one_malformed_event",
            "tests/test_recorder.py::test_one_malformed_event_costs_only_itself",
            "tests/test_recorder.py::test_each_malformed_event_is_named",
            "tests/test_recorder.py::test_invalid_utf8_bytes_reject_only_their_event",
        ],
    ),
    6: (
        "Batch over the route limit, and one oversized event",
        [
            "tests/reliability/test_oversized_batch_browser.py::test_batches_halve_until_they_fit_and_only_the_giant_is_dropped",
            "tests/web/test_api.py::test_oversized_body_is_413_before_reading",
        ],
    ),
    7: (
        "Garbage at the ingest URL",
        [
            "tests/web/test_api.py::test_bad_bodies",
            "tests/web/test_api.py::test_gzip_body_is_refused",
            "tests/web/test_api.py::test_chunked_oversized_body_is_413",
            "tests/reliability/test_api_fuzz.py::test_no_500_and_every_error_has_its_shape",
        ],
    ),
    8: (
        "Bad or expired tokens",
        [
            "tests/web/test_api.py::test_bad_token_is_401",
            "tests/web/test_api.py::test_closed_study_is_410",
            "tests/test_recorder.py::test_bad_token_and_closed_study",
            "tests/browser/test_recorder_browser.py::test_bad_token_stops_recording",
            "tests/web/test_token_guessing.py::test_unknown_tokens_are_throttled_per_address",
        ],
    ),
    9: (
        "Event spoofing",
        [
            "tests/test_recorder.py::test_spoofed_ids_are_rejected_and_other_data_untouched",
        ],
    ),
    10: (
        "Participant clock wrong or changed",
        [
            "tests/test_client_clock.py::test_a_client_duration_far_from_the_servers_is_replaced_and_flagged",
            "tests/test_client_clock.py::test_a_plausible_client_duration_is_kept",
            "tests/browser/test_participant_flow.py::test_a_clock_change_and_a_reload_mid_task_keep_the_browsers_duration",
        ],
    ),
    11: (
        "Same study in two tabs or on two devices",
        [
            "tests/browser/test_recorder_browser.py::test_one_attempt_in_two_tabs_numbers_each_tabs_events",
            "tests/test_two_tabs.py::test_each_tab_numbers_its_own_events_and_gaps_are_found_per_tab",
        ],
    ),
    12: (
        "Reload in the middle of the SUS",
        [
            "tests/browser/test_participant_flow.py::test_participant_takes_a_whole_study",
            "tests/web/test_participant.py::test_whole_study_with_forms_autosave_and_resume",
            "tests/test_progress.py::test_progress_counts_each_saved_answer",
        ],
    ),
    13: (
        "Resume link used later; then the study closes",
        [
            "tests/web/test_participant.py::test_resume_link_works_in_a_new_browser",
            "tests/web/test_participant.py::test_study_closed_midway_shows_closed_and_keeps_partial_data",
        ],
    ),
    14: (
        "Double submission",
        [
            "tests/test_concurrency.py::test_double_submitted_answers_move_the_participant_on_once",
            "tests/test_concurrency.py::test_double_clicked_done_ends_the_task_once",
            "tests/test_concurrency.py::test_double_pressed_start_makes_one_attempt",
            "tests/test_concurrency.py::test_double_submits_over_http_show_no_error_page",
        ],
    ),
    15: (
        "Out-of-range or tampered answers",
        [
            "tests/web/test_participant.py::test_invalid_form_answers_get_422_naming_items_and_valid_ones_are_kept",
            "tests/web/test_participant.py::test_invalid_json_answers_get_422",
            "tests/web/test_participant.py::test_one_megabyte_text_is_refused_and_huge_bodies_are_413",
            "tests/test_questionnaires.py::test_invalid_sus_answers",
            "tests/test_questionnaires.py::test_nps_range",
        ],
    ),
    16: (
        "Consent bypass, declining, withdrawal",
        [
            "tests/web/test_participant.py::test_answers_and_tasks_before_consent_are_forbidden",
            "tests/web/test_participant.py::test_decline_leaves_only_a_count",
            "tests/web/test_withdrawal.py::test_withdrawing_deletes_everything_and_leaves_a_count",
        ],
    ),
    17: (
        "Hostile researcher-authored study text",
        [
            "tests/web/test_participant.py::test_hostile_study_text_is_sanitised_everywhere",
            "tests/web/test_researcher.py::test_hostile_study_text_is_escaped_or_sanitised",
            "tests/test_text.py::test_hostile_markdown_is_neutralised",
        ],
    ),
    18: (
        "IDOR between researchers",
        [
            "tests/web/test_isolation.py::test_other_researchers_study_is_404_everywhere",
            "tests/web/test_isolation.py::test_other_researchers_invite_is_404_under_own_study",
            "tests/web/test_isolation.py::test_an_outsider_gets_404_for_every_route_of_the_workspace",
        ],
    ),
    19: (
        "CSRF and cross-origin",
        [
            "tests/web/test_researcher.py::test_posts_without_csrf_token_are_400_and_change_nothing",
            "tests/web/test_participant.py::test_forms_and_autosave_need_the_csrf_token",
            "tests/web/test_api.py::test_foreign_origin_is_refused_without_cors",
            "tests/browser/test_recorder_browser.py::test_foreign_origin_is_refused",
        ],
    ),
    20: (
        "Login brute force; participants sharing one address",
        [
            "tests/web/test_auth.py::test_login_is_rate_limited",
            "tests/web/test_token_guessing.py::test_a_lab_behind_one_address_is_not_throttled",
            "tests/reliability/test_many_connections.py::test_a_participant_past_the_hundredth_open_connection_is_answered",
        ],
    ),
    21: (
        "Server SIGKILL mid-write under load",
        [
            "tests/reliability/test_sigkill.py::test_events_survive_a_kill_9_under_load",
            "tests/test_serve_processes.py::test_two_processes_share_one_participant",
        ],
    ),
    22: (
        "Concurrent writers on SQLite",
        [
            "tests/reliability/test_concurrent_writers.py::test_read_then_write_under_begin_immediate_never_fails",
            "tests/reliability/test_concurrent_writers.py::test_the_deferred_read_then_write_of_old_is_caught",
            "tests/reliability/test_concurrent_writers.py::test_an_export_is_logged_after_participants_wrote_meanwhile",
            "tests/test_recorder.py::test_concurrent_batches_never_lock",
            "tests/test_db.py::test_begin_write_serialises_read_then_write_units",
        ],
    ),
    23: (
        "Disk full or database read-only",
        [
            "tests/reliability/test_storage_faults.py::test_a_refused_write_is_503_logged_once_and_recovers",
            "tests/reliability/test_storage_faults.py::test_a_researcher_page_that_writes_answers_503_too",
        ],
    ),
    24: (
        "Schema migration on a live-data copy",
        [
            "tests/reliability/test_migration_round_trip.py::test_upgrade_downgrade_upgrade_keeps_every_row_and_value",
            "tests/reliability/test_upgrade_backup.py::test_the_copy_before_an_upgrade_holds_what_is_still_in_the_wal",
            "tests/reliability/test_upgrade_backup.py::test_a_failed_migration_is_one_line_naming_its_step_and_the_copy",
            "tests/test_db.py::test_upgrade_keeps_rows_and_copies_the_file_first",
            "tests/test_db.py::test_migrations_create_exactly_the_models_schema",
            "tests/test_workspace_migration.py::test_0004_downgrades_to_0003_keeping_studies",
        ],
    ),
    25: (
        "Hostile content in exports",
        [
            "tests/test_export.py::test_formula_text_is_neutralised_and_round_trips",
            "tests/test_export.py::test_neutralise_every_formula_start",
            "tests/test_export_text.py::test_control_characters_do_not_break_the_workbook",
            "tests/test_export_text.py::test_control_characters_stay_exact_in_csv_and_json",
            "tests/test_export_text.py::test_the_codebook_says_how_to_recover_the_exact_text",
        ],
    ),
}

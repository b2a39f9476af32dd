//! The tray's tests, run against the real tray and window processes in a desktop session (see
//! `common`): one test binary, a module per subject. Each test that uses the desktop holds its
//! turn (`common::desktop_or_skip`) for its whole run: the session has one tray host, one Secret
//! Service, one panel. Unix only: the Windows tray's are `windows.rs`.
#![cfg(unix)]

mod common;

mod accounts_e2e;
mod autumn_e2e;
mod chart_e2e;
mod dashboard_cards_e2e;
mod dashboard_e2e;
mod dashboard_words_e2e;
mod desktop;
mod desktop_accounts;
mod desktop_autumn;
mod desktop_changed_account;
mod desktop_clock;
mod desktop_codex_folder;
mod desktop_credits;
mod desktop_fallback;
mod desktop_heal;
mod desktop_hooks;
mod desktop_keychain_stuck;
mod desktop_menu;
mod desktop_panel;
mod desktop_pause;
mod desktop_quit;
mod desktop_settings;
mod desktop_socket;
mod desktop_stress;
mod desktop_sway;
mod desktop_two_processes;
mod desktop_window;
mod hooks_e2e;
mod settings_e2e;
mod settings_fields_e2e;
mod tokens_e2e;
mod workspace_e2e;

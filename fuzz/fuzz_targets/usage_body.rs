//! The usage endpoint's body: any bytes give a snapshot or a typed error, never a panic; a
//! snapshot's percentages are percentages, and every view it feeds (the tray's, the dashboard's,
//! the blocked sentence, the alert engine) takes it without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    if let Ok(snapshot) = headroom_core::sources::usage_body::parse_usage_body(data, now) {
        for window in &snapshot.windows {
            assert!((0.0..=100.0).contains(&window.used_percent), "{window:?}");
            let _ = window.title();
        }
        let settings = headroom_core::settings::Settings::default();
        let _ = headroom_core::humanize::blocked_sentence(&snapshot, now, true);
        let _ = headroom_core::present::dashboard_view::dashboard_view(Some(&snapshot), &[], None, &settings, now);
        let _ = headroom_core::present::tray_view::tray_view(&headroom_core::present::tray_view::TrayInputs {
            snapshot: Some(&snapshot),
            error: None,
            settings: &settings,
            paused_until: None,
            on_api_key: false,
            fallback_key: false,
            restored_at: None,
            paces: &[],
            label: "me@example.com",
            command: None,
            // The same numbers as a second account's, for its menu section and the hints.
            others: &[headroom_core::present::tray_view::OtherAccount {
                label: "work@example.com",
                snapshot: Some(&snapshot),
                error: None,
                command: Some("CODEX_HOME=/w codex".into()),
            }],
            hook_trouble: Some("The hook `x` failed (exit code 1)."),
            now,
        });
        let mut engine = headroom_core::alerts::engine::AlertEngine::new(Default::default());
        let _ = engine.observe(&snapshot, &headroom_core::model::AccountKey::from_stored("acct"), &settings, Default::default(), now);
    }
});

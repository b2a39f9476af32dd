//! The dashboard's "Tokens" tab in the real webview: tokens per day from a generated Codex
//! history, the same numbers the core counts (which the CLI cross-checks against ccusage).
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use chrono::{Duration as Span, Utc};

#[test]
fn the_tokens_tab_shows_what_codex_used_per_day() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();
    let start = (Utc::now() - Span::days(10)).timestamp();
    headroom_testkit::token_history::generate(&codex_home.join("sessions"), 11, start, 9, 45).unwrap();
    // What the core counts for the same 14 local days (the CLI's numbers, checked against ccusage).
    let ledger = headroom_core::tokens::ledger::load(&codex_home, None);
    let today = chrono::Local::now().date_naive();
    let filter = headroom_core::tokens::report::Filter {
        zone: headroom_core::tokens::report::Zone::Local,
        since: Some(today - Span::days(13)),
        until: None,
    };
    let expected = headroom_core::tokens::report::daily(&ledger, &filter);
    assert!(expected.daily.len() >= 9, "{} days", expected.daily.len());

    let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
    env.push(("GTK_THEME", "Adwaita".into()));
    let (_driver, driver) = Driver::start(&env, &["--open", "dashboard"], &root.path().join("tauri-driver.log"));
    wait_for("the dashboard", Duration::from_secs(20), || driver.find(".tabs button:nth-child(2)"));
    driver.click(".tabs button:nth-child(2)");
    let total = (0..40).find_map(|_| {
        std::thread::sleep(Duration::from_millis(500));
        driver.attribute(".tokens table", "data-total")
    });
    let Some(total) = total else {
        driver.screenshot("dashboard-tokens-failed.png");
        panic!("no token table: {:?}", driver.text("main"));
    };
    assert_eq!(total, expected.totals.total_tokens.to_string());
    assert_eq!(driver.attribute(".tokens table", "data-days"), Some(expected.daily.len().to_string()));
    let newest = expected.daily.last().unwrap();
    let first_row = driver.attribute(".tokens tbody tr", "title").unwrap_or_default();
    for model in newest.row.models.keys() {
        assert!(first_row.contains(model.as_str()), "newest day first, with its models: {first_row}");
    }
    let shot = driver.screenshot("dashboard-tokens-tab.png");
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
    driver.quit();
}

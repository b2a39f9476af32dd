//! The dashboard's 7-day chart in the real webview: a week of generated history (the 5-hour
//! window filling and resetting, the weekly one rising and resetting once) is drawn by uPlot with
//! its reset marks, and "Export CSV" writes the card's account's history to a file (before the
//! fix, every account's). The chart follows the window's width. Screenshot saved.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use chrono::{Duration as Span, Utc};
use headroom_core::history::History;
use headroom_core::model::{UsageWindow, WindowKind};

/// A week of samples every 20 minutes, as the tray would have recorded them.
fn generate_week(data_home: &std::path::Path) -> usize {
    let history = History::open(&data_home.join("headroom/history.sqlite3")).unwrap();
    let now = Utc::now();
    let start = now - Span::days(7);
    let weekly_reset = start + Span::days(3);
    let mut rows = 0;
    let mut t = start;
    while t < now - Span::minutes(30) {
        let hours = (t - start).num_minutes() as f64 / 60.0;
        // The 5-hour window: cycles aligned to 5 hours from the start, busier in the daytime.
        let cycle = (hours / 5.0).floor();
        let into = hours - cycle * 5.0;
        let five_reset = start + Span::minutes(((cycle + 1.0) * 300.0) as i64);
        let five = (into / 5.0 * (40.0 + (cycle * 37.0) % 55.0)).min(100.0);
        let (weekly, w_reset) = if t < weekly_reset {
            (hours / 72.0 * 85.0, weekly_reset)
        } else {
            ((hours - 72.0) / 168.0 * 60.0, weekly_reset + Span::days(7))
        };
        let windows = vec![
            UsageWindow::main(WindowKind::FiveHour, five, Some(five_reset)),
            UsageWindow::main(WindowKind::Weekly, weekly, Some(w_reset)),
        ];
        // As a history of these shapes was recorded: the limit not called reached.
        let mut snapshot = headroom_testkit::snapshot::plus(windows, t);
        snapshot.limit_reached = false;
        rows += history.record(&snapshot, &headroom_core::model::AccountKey::of(&snapshot)).unwrap();
        t += Span::minutes(20);
    }
    rows
}

#[test]
fn the_dashboard_charts_a_week_of_history_and_exports_it() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();
    let data = root.path().join("data");
    let rows = generate_week(&data);
    assert!(rows > 900, "{rows} rows");
    // Another account's rows in the same history: not this card's to export.
    let history = History::open(&data.join("headroom/history.sqlite3")).unwrap();
    let other = headroom_testkit::snapshot::snapshot(
        "plus",
        Some("acct-other"),
        vec![UsageWindow::main(WindowKind::FiveHour, 12.0, None)],
        Utc::now() - Span::hours(2),
    );
    history.record(&other, &headroom_core::model::AccountKey::of(&other)).unwrap();
    drop(history);

    let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
    env.push(("GTK_THEME", "Adwaita".into()));
    let (_driver, driver) = Driver::start(&env, &["--open", "dashboard"], &root.path().join("tauri-driver.log"));

    // The chart's figures, published on its element for tests.
    let chart = |name: &str| driver.attribute(".history .chart", name).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let found = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(500));
        chart("data-points") > 900
    });
    if !found {
        driver.screenshot("dashboard-chart-failed.png");
        let html = driver.execute("return document.documentElement.outerHTML.slice(0, 3000)", serde_json::json!([]));

        eprintln!("page: {html}");
        panic!("no chart: {:?} / {:?}", driver.text(".history"), driver.text("main"));
    }
    assert_eq!(chart("data-series"), 2, "the 5-hour and weekly windows");
    // 33 five-hour resets in a week, and the weekly one.
    let resets = chart("data-resets");
    assert!((30..=36).contains(&resets), "{resets} reset marks");
    assert!(driver.find(".history .chart canvas").is_some(), "uPlot drew a canvas");
    let legend = driver.text(".history .u-legend").unwrap_or_default();
    assert!(legend.contains("5-hour") && legend.contains("Weekly"), "{legend}");
    let shot = driver.screenshot("dashboard-chart-week.png");
    let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));

    // A wider window: the chart fills it (before the fix it kept its first width).
    let before = driver.rect(".history .chart canvas").unwrap();
    driver.execute("document.querySelector('main').style.width = '900px'", serde_json::json!([]));
    let wider = wait_for("the chart to follow", Duration::from_secs(5), || {
        driver.rect(".history .chart canvas").filter(|r| r.2 > before.2 + 300.0)
    });
    let _ = writeln_stderr(&format!("chart width {} → {}", before.2, wider.2));
    driver.execute("document.querySelector('main').style.width = ''", serde_json::json!([]));

    driver.click(".history button");
    wait_for("the export", Duration::from_secs(10), || {
        driver.text(".history .exported").filter(|t| t.starts_with("Saved as "))
    });
    let path = driver.text(".history .exported").unwrap().trim_start_matches("Saved as ").to_string();
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("at,account,limit,window,used_percent,resets_at,source\n"));
    assert!(csv.lines().count() > 900, "{} lines", csv.lines().count());
    assert!(!csv.contains("acct-other"), "only this card's account is exported");
    assert!(path.starts_with(&home.display().to_string()), "{path}");
    driver.quit();
}

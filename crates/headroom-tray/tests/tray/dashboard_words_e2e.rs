//! The dashboard's words and colours in the real webview, with a team answer (the main windows,
//! code review, a model's own limit) and a day of history for seven series, shown as "used":
//! the chart's legend names a model's limit as its card does, every series has a colour of its
//! own, each bar's accessible label says the figure it shows, and the pace line reads at 4.5:1
//! or more in light and dark. Before the fix the legend said "gpt_5_3_codex_spark 5-hour"
//! beside a card titled "GPT-5.3-Codex-Spark 5-hour", the fifth other series repeated the
//! first's colour, the bars said "X% left" with the used figure as their value, and the pace
//! line was 3.4:1 in light mode.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use chrono::{Duration as Span, Utc};
use headroom_core::history::History;
use headroom_core::model::{AccountKey, LimitId, UsageWindow, WindowKind};
use headroom_testkit::fake::Route;
use headroom_testkit::scenarios;
use serde_json::json;

/// (limit, kind) of the seven series: the team answer's four windows and three limits it no
/// longer has.
const SERIES: [(&str, WindowKind); 7] = [
    ("codex", WindowKind::FiveHour),
    ("codex", WindowKind::Weekly),
    ("code_review", WindowKind::Weekly),
    ("gpt_5_3_codex_spark", WindowKind::FiveHour),
    ("retired_a", WindowKind::Weekly),
    ("retired_b", WindowKind::FiveHour),
    ("retired_c", WindowKind::Weekly),
];

fn limit(id: &str) -> LimitId {
    match id {
        "codex" => LimitId::Codex,
        "code_review" => LimitId::CodeReview,
        other => LimitId::Feature(other.into()),
    }
}

/// A day of samples every 30 minutes for every series, as the tray records them.
fn generate_day(data_home: &std::path::Path) {
    let history = History::open(&data_home.join("headroom/history.sqlite3")).unwrap();
    let now = Utc::now();
    let mut t = now - Span::hours(24);
    let mut step = 0.0;
    while t < now - Span::minutes(10) {
        let windows = SERIES
            .iter()
            .enumerate()
            .map(|(i, (id, kind))| {
                let mut w = UsageWindow::main(*kind, (step * (i as f64 + 1.0)) % 100.0, Some(now + Span::hours(3)));
                w.limit = limit(id);
                w
            })
            .collect();
        let mut snapshot = headroom_testkit::snapshot::snapshot("team", Some("acct-team-1"), windows, t);
        snapshot.limit_reached = false;
        history.record(&snapshot, &AccountKey::of(&snapshot)).unwrap();
        t += Span::minutes(30);
        step += 1.5;
    }
}

/// WCAG's contrast ratio of two CSS colours as `getComputedStyle` gives them ("rgb(r, g, b)").
fn contrast(a: &str, b: &str) -> f64 {
    let luminance = |css: &str| {
        let parts: Vec<f64> = css
            .trim_start_matches("rgba(")
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .take(3)
            .map(|p| p.trim().parse::<f64>().unwrap_or_else(|_| panic!("a colour: {css}")) / 255.0)
            .collect();
        let linear = |c: f64| if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
        0.2126 * linear(parts[0]) + 0.7152 * linear(parts[1]) + 0.0722 * linear(parts[2])
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `fg` drawn at `opacity` over `bg`, as "rgb(r, g, b)".
fn blend(fg: &str, bg: &str, opacity: f64) -> String {
    let channels = |css: &str| -> Vec<f64> {
        css.trim_start_matches("rgba(")
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .take(3)
            .map(|p| p.trim().parse().unwrap())
            .collect()
    };
    let (f, b) = (channels(fg), channels(bg));
    let mixed: Vec<String> =
        f.iter().zip(&b).map(|(f, b)| format!("{:.0}", f * opacity + b * (1.0 - opacity))).collect();
    format!("rgb({})", mixed.join(", "))
}

#[test]
fn legend_names_colours_bar_labels_and_pace_contrast() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();
    fake.respond(Route::Usage, scenarios::usage("team-all-fields").unwrap());
    generate_day(&root.path().join("data"));
    config_with_settings(root.path(), "[display]\nshow = \"used\"\n");
    for (theme, gtk_theme) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
        env.push(("GTK_THEME", gtk_theme.into()));
        let (_group, driver) =
            Driver::start(&env, &["--open", "dashboard"], &root.path().join(format!("tauri-driver-{theme}.log")));
        let cards = wait_for("the team's windows", Duration::from_secs(20), || {
            Some(driver.texts("section.window h2")).filter(|t| t.iter().any(|t| t.starts_with("GPT-5.3-Codex-Spark")))
        });

        // The legend: one entry per series, named as the cards name them, each its own colour.
        let legend_script = "return Array.from(document.querySelectorAll('.history .u-legend .u-series'))
            .filter(r => r.querySelector('.u-marker'))
            .map(r => [r.querySelector('.u-label').textContent, getComputedStyle(r.querySelector('.u-marker')).borderColor]);";
        let legend = wait_for("the chart's legend", Duration::from_secs(20), || {
            let rows = driver.execute(legend_script, json!([]));
            let rows: Vec<(String, String)> = serde_json::from_value(rows).ok()?;
            (rows.len() >= SERIES.len()).then_some(rows)
        });
        // One chart: a sample arriving while the first chart was still being drawn once left two.
        let charts = driver.execute("return document.querySelectorAll('.history .uplot').length;", json!([]));
        assert_eq!(charts, json!(1), "one chart in the history box");
        assert_eq!(legend.len(), SERIES.len(), "{legend:?}");
        let names: Vec<&str> = legend.iter().map(|(name, _)| name.as_str()).collect();
        let spark = cards.iter().find(|t| t.starts_with("GPT-5.3-Codex-Spark")).unwrap();
        assert!(names.contains(&spark.as_str()), "the legend names {spark:?} as its card does: {names:?}");
        assert!(!names.iter().any(|n| n.contains("gpt_5_3_codex_spark")), "{names:?}");
        let mut colours: Vec<&str> = legend.iter().map(|(_, colour)| colour.as_str()).collect();
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), SERIES.len(), "a colour per series: {legend:?}");

        // Shown as "used": each bar says the figure it shows.
        let bars = driver.execute(
            "return Array.from(document.querySelectorAll('section.window [role=progressbar]'))
                .map(b => [b.getAttribute('aria-label'), b.getAttribute('aria-valuenow')]);",
            json!([]),
        );
        let bars: Vec<(String, String)> = serde_json::from_value(bars).unwrap();
        let amounts = driver.texts("section.window .amount");
        assert_eq!(bars.len(), amounts.len());
        for ((label, value), amount) in bars.iter().zip(&amounts) {
            assert!(amount.ends_with("% used"), "{amount}");
            assert!(label.ends_with(&format!(": {amount}")), "{label:?} for {amount:?}");
            assert_eq!(format!("{value}% used"), *amount, "the value is the figure said");
        }

        // The pace line on its card.
        // Its colour as drawn: faded by its own and its ancestors' opacity over the card.
        let colours = driver.execute(
            "const p = document.querySelector('section.window .pace');
             if (!p) return null;
             let opacity = 1;
             for (let e = p; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
             return [getComputedStyle(p).color, getComputedStyle(p.closest('section')).backgroundColor, opacity];",
            json!([]),
        );
        let (fg, bg, opacity): (String, String, f64) = serde_json::from_value(colours).expect("a pace line");
        let ratio = contrast(&blend(&fg, &bg, opacity), &bg);
        assert!(ratio >= 4.5, "pace line {fg} on {bg}: {ratio:.2}:1 in {theme}");
        let _ = writeln_stderr(&format!("{theme}: pace line {fg} on {bg}, {ratio:.2}:1"));
        driver.screenshot(&format!("dashboard-words-{theme}.png"));
        driver.execute("document.querySelector('.history').scrollIntoView()", json!([]));
        driver.screenshot(&format!("dashboard-words-legend-{theme}.png"));
        driver.quit();
    }
}

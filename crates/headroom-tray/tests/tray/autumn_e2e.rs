//! The dashboard in the real webview with Codex's autumn-2026 answers: Luna Reserve named as
//! Codex names it, with the model it is for, among the other limits and never as the plan's; the
//! blocked banner saying Codex can go on with it; the banked reset credits listed with their
//! expiry; and "Use a reset credit…" that names the credit and that it cannot be undone, sends
//! nothing on "Keep it", and on "Use it" sends one request for that credit and says the outcome.
//! Screenshots of each step in light and dark.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::scenarios;

#[test]
fn the_reserve_and_a_reset_credit_used_on_purpose() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();
    for (theme, gtk_theme) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        fake.respond(Route::Usage, scenarios::usage("luna-reserve-blocked").unwrap());
        fake.respond(
            Route::ConsumeResetCredit,
            headroom_testkit::FakeResponse::json(200, r#"{"code":"reset","windows_reset":2}"#),
        );
        let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
        env.push(("GTK_THEME", gtk_theme.into()));
        let (_group, driver) =
            Driver::start(&env, &["--open", "dashboard"], &root.path().join(format!("tauri-driver-{theme}.log")));

        let reserve = "section[aria-label='Luna Reserve window']";
        wait_for("the reserve's gauge", Duration::from_secs(20), || driver.text(&format!("{reserve} .amount")));
        assert_eq!(driver.text(&format!("{reserve} .amount")).as_deref(), Some("76% left"));
        let detail = driver.text(&format!("{reserve} .detail")).unwrap();
        assert!(detail.starts_with("24% used · Luna only"), "{detail}");
        let headings = driver.texts("h3");
        assert_eq!(headings.first().map(String::as_str), Some("OTHER LIMITS"), "the reserve is among the other limits");
        let banner = driver.text(".banner.blocked").unwrap();
        assert!(banner.starts_with("Blocked by the weekly limit until "), "{banner}");
        assert!(
            banner.ends_with(" — Codex can go on with Luna Reserve (Luna only, 76% left); 2 reset credits available: using one resets this limit now."),
            "{banner}"
        );
        let listed = driver.texts(".reset-credits li");
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert!(listed[0].starts_with("Full reset (Weekly + 5 hr) · expires "), "{listed:?}");
        driver.execute("document.querySelector('.reset-credits').scrollIntoView()", serde_json::json!([]));
        driver.screenshot(&format!("dashboard-reserve-credits-{theme}.png"));

        // Asked first, naming the credit; "Keep it" sends nothing.
        fake.clear_requests();
        driver.click(".reset-credits button.offer");
        let question = wait_for("the question", Duration::from_secs(5), || driver.text(".confirm .question"));
        assert!(
            question.starts_with("Use the reset credit “Full reset (Weekly + 5 hr)” (expires ")
                && question.ends_with("now? It resets Codex's usage limits at once and cannot be undone."),
            "{question}"
        );
        driver.screenshot(&format!("dashboard-reset-credit-question-{theme}.png"));
        driver.click(".confirm button:not(.use)");
        std::thread::sleep(Duration::from_millis(500));
        assert!(driver.find(".confirm").is_none(), "the question is gone");
        let consumes = || fake.requests().into_iter().filter(|r| r.path.ends_with("/consume")).collect::<Vec<_>>();
        assert!(consumes().is_empty(), "nothing sent on Keep it");

        // "Use it": one request, for the credit the question named, and its outcome said.
        driver.click(".reset-credits button.offer");
        wait_for("the question again", Duration::from_secs(5), || driver.find(".confirm .use"));
        driver.click(".confirm .use");
        let outcome = wait_for("the outcome", Duration::from_secs(15), || driver.text(".reset-credits .outcome"));
        assert!(outcome.starts_with("Done: the reset credit “Full reset (Weekly + 5 hr)”"), "{outcome}");
        let sent = consumes();
        assert_eq!(sent.len(), 1);
        let body: serde_json::Value = serde_json::from_str(&sent[0].body).unwrap();
        assert_eq!(body["credit_id"], "rc_soon");
        driver.screenshot(&format!("dashboard-reset-credit-used-{theme}.png"));
        driver.quit();
    }
}

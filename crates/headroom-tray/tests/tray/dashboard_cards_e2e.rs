//! Four accounts in the real webview (one card at a time, picked in the switcher), one of them
//! with its login refused. Before the fix the switcher showed that account's card above the
//! pinned account's "Updated just now · live", its fix said plain `codex` (the default home's),
//! and commands showed as raw backticks.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::response::FakeResponse;
use headroom_testkit::scenarios;

#[test]
fn each_card_says_how_old_its_own_numbers_are_and_names_its_own_home() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let _vault = PastedTokensCleared::now();
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();
    fake.respond_for_account("acct-1", scenarios::plus(42.0, 17.0, 7_920, 388_800));
    fake.respond_for_account("acct-two", scenarios::plus(20.0, 10.0, 7_920, 388_800));
    fake.respond_for_account("acct-three", scenarios::plus(30.0, 10.0, 7_920, 388_800));
    fake.respond_for_account("acct-work", FakeResponse::json(401, r#"{"detail":"Unauthorized"}"#));
    let work = codex_home_for(root.path(), "codex-work", "work@example.com", "acct-work");
    let two = codex_home_for(root.path(), "codex-two", "two@example.com", "acct-two");
    let three = codex_home_for(root.path(), "codex-three", "three@example.com", "acct-three");
    let homes = [&work, &two, &three].map(|h| format!("\"{}\"", h.display())).join(", ");
    config_with_settings(root.path(), &format!("[accounts]\nhomes = [{homes}]\n"));

    let env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
    let log = root.path().join("tauri-driver.log");
    let _log_on_failure = AppLog(log.clone());
    let (_group, driver) = Driver::start(&env, &["--open", "dashboard"], &log);
    wait_for("the switcher with four accounts", Duration::from_secs(20), || {
        (driver.texts(".switcher button").len() == 4).then_some(())
    });
    let fresh = wait_for("the pinned card's age", Duration::from_secs(20), || driver.text("article.card .freshness"));
    assert!(fresh.starts_with("Updated just now"), "{fresh}");
    assert_eq!(driver.text("footer span"), None, "no age in the footer: each card has its own");

    driver.click(".switcher button:nth-child(2)");
    let card = "article[aria-label='Account work@example.com']";
    let fix = wait_for("the refused account's fix", Duration::from_secs(10), || {
        driver.text(&format!("{card} .banner.error .action"))
    });
    let command = format!("CODEX_HOME={} codex", work.display());
    assert_eq!(fix, format!("Run {command} in a terminal to refresh your login"));
    assert_eq!(driver.text(&format!("{card} .banner.error .action code")), Some(command.clone()), "as code");
    assert_eq!(driver.text(&format!("{card} .freshness")), None, "no numbers of its own: no age");
    let text = driver.text(card).unwrap_or_default();
    assert!(!text.contains('`'), "no raw backticks: {text}");
    assert!(!text.contains("Updated just now"), "another account's age is not this one's: {text}");
    driver.screenshot("dashboard-four-accounts-refused-card-light.png");
    driver.quit();
}

//! Several accounts in the real webview: the dashboard's card per account (the default Codex
//! home, an added work home and a pasted token, each with its own numbers from the fake), and
//! the settings window's accounts list: adding a home (refused when the folder is not one),
//! removing a pasted token (gone from the real keychain). Screenshots in light and dark.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;
use headroom_testkit::jwt::{make_jwt, TestClaims};
use headroom_testkit::scenarios;

fn secret_tool(args: &[&str], input: Option<&str>) -> Option<String> {
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take().unwrap();
    if let Some(input) = input {
        stdin.write_all(input.as_bytes()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_card_per_account_and_the_accounts_list_adds_and_removes() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let _vault = PastedTokensCleared::now();
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();
    fake.respond_for_account("acct-1", scenarios::plus(42.0, 17.0, 7_920, 388_800));
    fake.respond_for_account("acct-work", scenarios::plus(70.0, 30.0, 3_600, 388_800));
    fake.respond_for_account("acct-col", scenarios::plus(100.0, 60.0, 1_800, 388_800));
    let work = codex_home_for(root.path(), "codex-work", "work@example.com", "acct-work");
    config_with_settings(root.path(), &format!("[accounts]\nhomes = [\"{}\"]\n", work.display()));
    // A colleague's token, pasted earlier: in the keychain, where Headroom keeps it.
    let token = make_jwt(&TestClaims {
        email_in_profile_claim: true,
        ..TestClaims::plus("colleague@example.com", "acct-col", 9 * 86_400)
    });
    secret_tool(&["store", "--label=Headroom", "service", "Headroom", "username", "access-token"], Some(&token))
        .expect("the token is stored");

    let card = |label: &str, rest: &str| format!("article[aria-label='Account {label}'] {rest}");
    for (theme, gtk_theme) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
        env.push(("GTK_THEME", gtk_theme.into()));
        let (_group, driver) =
            Driver::start(&env, &["--open", "dashboard"], &root.path().join(format!("tauri-driver-{theme}.log")));
        let five_hour = |label: &str| driver.text(&card(label, "section[aria-label='5-hour window'] .amount"));
        wait_for("three cards with their numbers", Duration::from_secs(20), || {
            (five_hour("dev@example.com").as_deref() == Some("58% left")
                && five_hour("work@example.com").as_deref() == Some("30% left")
                && five_hour("colleague@example.com").as_deref() == Some("0% left"))
            .then_some(())
        });
        assert_eq!(driver.text("header h1").as_deref(), Some("Codex · 3 accounts"));
        let labels = driver.texts("article.card .card-head h2");
        assert_eq!(labels, ["dev@example.com", "work@example.com", "colleague@example.com"], "the tray's first");
        let blocked = driver.text(&card("colleague@example.com", ".banner.blocked")).unwrap_or_default();
        assert!(blocked.starts_with("Blocked by the 5-hour limit until "), "{blocked}");
        assert_eq!(
            driver.text(&card("work@example.com", ".command code")),
            Some(format!("CODEX_HOME={} codex", work.display())),
            "the command that runs Codex with the work home"
        );
        assert_eq!(driver.text(&card("dev@example.com", ".command")), None, "the default home needs none");
        assert!(driver.texts(".switcher button").is_empty(), "three fit side by side");
        driver.screenshot(&format!("dashboard-three-accounts-{theme}.png"));
        // The last card, the blocked one, scrolled into view.
        driver.execute(
            "document.querySelector(\"article[aria-label='Account colleague@example.com']\").scrollIntoView()",
            serde_json::json!([]),
        );
        std::thread::sleep(Duration::from_millis(300));
        driver.screenshot(&format!("dashboard-three-accounts-{theme}-last-card.png"));
        // Each card's tokens come from its own Codex home; the pasted token has none.
        driver.click(".tabs button:nth-child(2)");
        let none = wait_for("the pasted token's tokens note", Duration::from_secs(10), || {
            driver.text(&card("colleague@example.com", "p.muted"))
        });
        assert!(none.contains("no Codex home here"), "{none}");
        driver.quit();
    }

    // The settings window lists them, adds a home, removes the pasted token.
    let env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
    let settings_log = root.path().join("tauri-driver-settings.log");
    let _log_on_failure = AppLog(settings_log.clone());
    let (_group, driver) = Driver::start(&env, &["--open", "settings"], &settings_log);
    let listed = wait_for("the accounts list", Duration::from_secs(20), || {
        Some(driver.texts("#accounts .account-label")).filter(|l| l.len() == 3)
    });
    assert_eq!(listed, ["dev@example.com", "work@example.com", "colleague@example.com"]);
    // Credentials, per account: where each one's numbers come from, and the pasted token beside
    // the account it belongs to (never "the" pasted token of a one-account Headroom).
    let sources = wait_for("each account's source", Duration::from_secs(10), || {
        Some(driver.texts("#account-sources li .source")).filter(|s| s.len() == 3)
    });
    assert!(sources[0].starts_with("from Codex's login file ("), "{sources:?}");
    assert!(sources[1].starts_with("from Codex's login file ("), "{sources:?}");
    assert!(sources[2].starts_with("from the token pasted into Headroom ("), "{sources:?}");
    let in_use = driver.text("#in-use").unwrap_or_default();
    assert!(in_use.starts_with("Numbers for dev@example.com come from "), "names the account in the tray: {in_use}");
    let tokens = driver.texts(".token .token-mask");
    assert_eq!(tokens.len(), 1, "one pasted token, beside its own account: {tokens:?}");
    assert!(driver.find(".token[data-id='acct-col/user-colleague'] .token-check").is_some());
    driver.screenshot("settings-credentials-per-account-light.png");
    let places = driver.texts("#accounts li[data-id='acct-work/user-work'] .place");
    assert!(places[0].starts_with(&format!("{} (added)", work.display())), "{places:?}");

    let missing = root.path().join("no-such-home");
    driver.fill("#home-path", &missing.display().to_string());
    driver.click("#home-add");
    let refused = wait_for("the refusal", Duration::from_secs(10), || driver.text("#accounts-message.error"));
    assert!(refused.starts_with(&format!("{} does not exist:", missing.display())), "{refused}");
    let settings_file = root.path().join("config/headroom/settings.toml");
    assert!(!std::fs::read_to_string(&settings_file).unwrap().contains("no-such-home"), "nothing saved");

    let four = codex_home_for(root.path(), "codex-four", "four@example.com", "acct-four");
    fake.respond_for_account("acct-four", scenarios::plus(10.0, 5.0, 7_200, 388_800));
    driver.fill("#home-path", &four.display().to_string());
    driver.click("#home-add");
    let added = wait_for("the added message", Duration::from_secs(10), || {
        driver.text("#accounts-message").filter(|m| m.starts_with("Added"))
    });
    assert_eq!(added, format!("Added {} (four@example.com).", four.display()));
    wait_for("four accounts", Duration::from_secs(10), || {
        (driver.texts("#accounts .account-label").len() == 4).then_some(())
    });
    assert!(std::fs::read_to_string(&settings_file).unwrap().contains(&four.display().to_string()));

    driver.click("#accounts li[data-id='acct-col/user-colleague'] .remove");
    let removed =
        poll_until(Duration::from_secs(10), || driver.text("#accounts-message").filter(|m| m.starts_with("Removed")));
    let removed = removed.unwrap_or_else(|| panic!("no removed message: {:?}", driver.text("#accounts-message")));
    assert_eq!(removed, "Removed the pasted token for colleague@example.com.");
    assert_eq!(
        secret_tool(&["lookup", "service", "Headroom", "username", "access-token"], None),
        None,
        "gone from the keychain"
    );
    wait_for("three accounts again", Duration::from_secs(10), || {
        (driver.texts("#accounts .account-label").len() == 3).then_some(())
    });
    driver.screenshot("settings-accounts-light.png");
}

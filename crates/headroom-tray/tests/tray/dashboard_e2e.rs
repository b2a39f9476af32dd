//! The dashboard in the real webview (WebKitGTK), driven through tauri-driver and
//! WebKitWebDriver against the fake usage service: the live numbers show, a rejected login
//! brings the error banner with its fix, and screenshots of both are saved.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::scenarios;

#[test]
fn the_dashboard_shows_live_numbers_and_the_fix_for_a_rejected_login() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();

    for (theme, gtk_theme) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        fake.respond(Route::Usage, scenarios::plus(42.0, 17.0, 7_920, 388_800));
        let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
        env.push(("GTK_THEME", gtk_theme.into()));
        let (_driver, driver) =
            Driver::start(&env, &["--open", "dashboard"], &root.path().join(format!("tauri-driver-{theme}.log")));

        // Normal numbers.
        let five_hour = "section[aria-label='5-hour window'] .amount";
        wait_for("the 5-hour numbers", Duration::from_secs(20), || driver.text(five_hour).filter(|t| t == "58% left"));
        assert_eq!(driver.text("section[aria-label='Weekly window'] .amount").as_deref(), Some("83% left"));
        assert_eq!(driver.text("header h1").as_deref(), Some("Codex · Plus"));
        assert_eq!(driver.text("header .account").as_deref(), Some("dev@example.com"));
        let countdown = driver.text("section[aria-label='5-hour window'] .countdown").unwrap();
        assert!(countdown.starts_with("in 2 h 1"), "{countdown}");
        let footer = driver.text("footer span").unwrap();
        assert!(footer.starts_with("Updated just now") && footer.ends_with("live"), "{footer}");
        let body = driver.find("body").unwrap();
        let background = driver.call(
            reqwest::Method::GET,
            &format!("/session/{}/element/{body}/css/background-color", driver.session),
            None,
        );
        let expected_background = if theme == "dark" { "rgb(13, 17, 23)" } else { "rgb(255, 255, 255)" };
        assert_eq!(background.as_str(), Some(expected_background), "follows the system's {theme} theme");
        driver.screenshot(&format!("dashboard-normal-{theme}.png"));

        // Clicks within 5 s of each other count as one, as in the tray: space them out.
        let refresh_to = |response, what: &str, css: &str, expected: &str| {
            fake.respond(Route::Usage, response);
            std::thread::sleep(Duration::from_millis(5_200));
            driver.click("footer button");
            wait_for(what, Duration::from_secs(15), || driver.text(css).filter(|t| t.starts_with(expected)));
        };
        refresh_to(scenarios::plus(97.0, 60.0, 3_000, 388_800), "nearly out", five_hour, "3% left");
        driver.screenshot(&format!("dashboard-nearly-out-{theme}.png"));
        refresh_to(
            scenarios::usage("plus-weekly-exhausted").unwrap(),
            "blocked",
            ".banner.blocked",
            "Blocked by the weekly limit until ",
        );
        driver.screenshot(&format!("dashboard-blocked-{theme}.png"));

        // The service rejects the login: the banner names the fix, the numbers stay.
        refresh_to(
            scenarios::usage("unauthorized").unwrap(),
            "the error banner",
            ".banner.error strong",
            "Login rejected — run codex",
        );
        // Commands are shown as code, not as raw backticks.
        assert_eq!(driver.text(".banner.error strong code").as_deref(), Some("codex"));
        assert_eq!(
            driver.text(".banner.error .action").as_deref(),
            Some("Run codex in a terminal to refresh your login")
        );
        assert_eq!(
            driver.text("section[aria-label='Weekly window'] .amount").as_deref(),
            Some("0% left"),
            "the last good numbers stay"
        );
        let shot = driver.screenshot(&format!("dashboard-error-{theme}.png"));
        let _ = writeln_stderr(&format!("screenshot: {}", shot.display()));
        driver.quit();
    }
}

//! The dashboard in the real webview for the answers Codex gives workspace accounts and others
//! today: a monthly credit pool as a bar of its own with its credit count, banked reset credits,
//! a reached workspace limit, two windows of the same kind (which once blanked the page), and an
//! answer without windows. Screenshots in light and dark.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;
use headroom_testkit::fake::Route;
use headroom_testkit::scenarios;

#[test]
fn the_dashboard_shows_credit_pools_reset_credits_and_every_window() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();
    for (theme, gtk_theme) in [("light", "Adwaita"), ("dark", "Adwaita:dark")] {
        fake.respond(Route::Usage, scenarios::usage("enterprise-credit-pool").unwrap());
        let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
        env.push(("GTK_THEME", gtk_theme.into()));
        let (_driver, driver) =
            Driver::start(&env, &["--open", "dashboard"], &root.path().join(format!("tauri-driver-{theme}.log")));

        let pool = "section[aria-label='Monthly credit limit window']";
        wait_for("the credit pool", Duration::from_secs(20), || {
            driver.text(&format!("{pool} .amount")).filter(|t| t == "25% left")
        });
        let detail = driver.text(&format!("{pool} .detail")).unwrap();
        assert!(detail.starts_with("75% used · 3750 of 5000 credits used"), "{detail}");
        let credits = driver.text("#reset-credits .credits").unwrap_or_default();
        assert!(credits.starts_with("2 reset credits available — the next expires "), "{credits}");
        assert_eq!(driver.text("header h1").as_deref(), Some("Codex · Enterprise"));
        driver.screenshot(&format!("dashboard-credit-pool-{theme}.png"));

        let refresh_to = |scenario: &str| {
            fake.respond(Route::Usage, scenarios::usage(scenario).unwrap());
            // Clicks within 5 s of each other count as one.
            std::thread::sleep(Duration::from_millis(5_200));
            driver.click("footer button");
        };
        refresh_to("business-pool-reached");
        let banner = wait_for("the workspace limit", Duration::from_secs(15), || {
            driver.text(".banner.blocked").filter(|t| t.starts_with("Your workspace's monthly credit limit is reached"))
        });
        assert!(banner.contains(" until ") && banner.ends_with(")."), "{banner}");
        assert_eq!(driver.text(&format!("{pool} .amount")).as_deref(), Some("0% left"));
        driver.screenshot(&format!("dashboard-credit-pool-reached-{theme}.png"));

        // Two windows of the same kind and limit, 1 hour and 1 day: both bars, named by length.
        refresh_to("other-windows");
        let titles = wait_for("both windows", Duration::from_secs(15), || {
            Some(driver.texts("section.window h2")).filter(|t| t.len() == 2)
        });
        assert_eq!(titles, ["1-hour", "1-day"]);
        assert_eq!(driver.texts("section.window .amount"), ["58% left", "95% left"]);
        driver.screenshot(&format!("dashboard-two-other-windows-{theme}.png"));

        // An answer with no window says so instead of "looking for your numbers".
        refresh_to("plan-only");
        wait_for("the no-windows notice", Duration::from_secs(15), || {
            driver.text("main p.muted").filter(|t| t == "The service reported no usage windows for this account.")
        });
        driver.quit();
    }
}

//! The settings window's hooks in the real webview: each hook from settings.toml listed with its
//! events, "Run test event" runs it for real (a file it writes holds the test event) and says
//! how it went, and a hook whose program does not exist says so in one sentence.
#![cfg(target_os = "linux")]

use std::time::Duration;

use crate::common::*;

#[test]
fn settings_lists_the_hooks_and_runs_a_test_event() {
    let Some(_turn) = webdriver_or_skip() else {
        return;
    };
    let SignedInPlus { fake, root, home, codex_home } = signed_in_plus();
    let out = root.path().join("hook-test.json");
    let settings = format!(
        "[[hooks]]\non = [\"threshold\", \"limit_reached\"]\nrun = {:?}\n\n\
         [[hooks]]\non = [\"available_again\"]\nrun = \"resume-my-job-queue --now\"\n",
        format!("sh -c 'cat > {}'", out.display())
    );
    config_with_settings(root.path(), &settings);
    let mut env = app_vars(&home, &codex_home, root.path(), &fake.base_url());
    env.push(("GTK_THEME", "Adwaita".into()));
    let (_group, driver) = Driver::start(&env, &["--open", "settings"], &root.path().join("tauri-driver.log"));
    let hooks = poll_until(Duration::from_secs(20), || Some(driver.texts("#hooks .hook-run")).filter(|h| h.len() == 2))
        .unwrap_or_else(|| {
            driver.screenshot("settings-hooks-missing.png");
            panic!("no hooks listed: {:?}", driver.texts("main h2"))
        });
    assert_eq!(hooks[1], "resume-my-job-queue --now");
    let events = driver.texts("#hooks .hook .muted");
    assert_eq!(
        events,
        ["Runs when a threshold is crossed, or a limit is reached", "Runs when Codex is available again"]
    );

    let buttons = driver.execute(
        "document.querySelectorAll('#hooks .hook-test')[0].click(); return document.querySelectorAll('#hooks .hook-test').length;",
        serde_json::json!([]),
    );
    assert_eq!(buttons, 2);
    let said = wait_for("the test's result", Duration::from_secs(20), || {
        driver.texts("#hooks .hook-result").into_iter().find(|t| t != "Running…")
    });
    assert_eq!(said, "The hook ran and finished well.");
    let event: serde_json::Value = serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
    assert_eq!((event["event"].as_str(), event["test"].as_bool()), (Some("threshold"), Some(true)));
    assert_eq!(event["account"], "dev@example.com");

    driver.execute("document.querySelectorAll('#hooks .hook-test')[1].click();", serde_json::json!([]));
    let missing = wait_for("the missing program", Duration::from_secs(20), || {
        driver.texts("#hooks .hook-result.error").into_iter().next()
    });
    assert_eq!(
        missing,
        "The hook `resume-my-job-queue --now` could not start: resume-my-job-queue was not found; fix `run` under [[hooks]] in settings.toml (a full path always works)."
    );
    driver.execute("document.querySelector('#hooks-heading').scrollIntoView()", serde_json::json!([]));
    driver.screenshot("settings-hooks-light.png");
    driver.quit();
}

fn main() {
    // Declaring the app's own commands makes Tauri generate one permission per command, so the
    // capability can allow exactly these and nothing else.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&[
        "dashboard",
        "refresh",
        "settings",
        "save_settings",
        "credentials",
        "paste_token",
        "remove_token",
        "check_token",
        "alert_pause",
        "reset_pause_label",
        "pause_alerts",
        "resume_alerts",
        "painted",
        "history",
        "export_history",
        "token_usage",
        "accounts",
        "add_home",
        "choose_folder",
        "remove_account",
        "pin_account",
        "hooks",
        "run_test_hook",
        "use_reset_credit",
    ])))
    .expect("the Tauri build step");
}

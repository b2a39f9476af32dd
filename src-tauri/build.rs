fn main() {
    // Declaring the app's own commands makes Tauri generate one permission per command, so the
    // capability can allow exactly these and nothing else.
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&[
        "call",
        "paste_token",
        "painted",
        "choose_folder",
    ])))
    .expect("the Tauri build step");
}

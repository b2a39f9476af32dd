//! An empty Tauri tray app: the least any Tauri tray app costs, to measure Headroom against.
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;

fn main() {
    tauri::Builder::default()
        .setup(|app| {
            let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
            let menu = Menu::with_items(app, &[&quit])?;
            // A plain 32×32 square, as Headroom's icon is drawn at 32×32.
            let icon = Image::new_owned([0x2D, 0xA4, 0x4E, 0xFF].repeat(32 * 32), 32, 32);
            TrayIconBuilder::with_id("empty").icon(icon).menu(&menu).on_menu_event(|app, _| app.exit(0)).build(app)?;
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("a graphical session")
        .run(|_, event| {
            if let tauri::RunEvent::ExitRequested { code: None, api, .. } = event {
                api.prevent_exit();
            }
        });
}

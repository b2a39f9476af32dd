//! Desktop notifications through the platform's service (the freedesktop notification daemon
//! on Linux, Notification Center on macOS, toasts on Windows).

use headroom_core::alerts::engine::Alert;

use tokio::runtime::Handle;

use crate::state::SharedState;

/// The bundle identifier (tauri.conf.json), which the platforms use as the app's identity.
#[cfg_attr(not(any(windows, target_os = "macos")), allow(dead_code))]
pub const APP_ID: &str = "app.headroom.tray";

/// macOS files notifications under the sending app's bundle; without this they would be
/// attributed to the Terminal.
#[cfg(target_os = "macos")]
pub fn register_app() {
    if let Err(e) = notify_rust::set_application(APP_ID) {
        tracing::warn!("notifications will not carry Headroom's name ({e})");
    }
}

/// Shows an alert, replacing the previous one of the same identity where the platform allows.
pub fn show(runtime: &Handle, shared: SharedState, alert: Alert) {
    // Delivery talks to D-Bus synchronously: keep it off the async workers.
    runtime.spawn_blocking(move || {
        let previous = shared.notification_ids.lock().unwrap().get(&alert.identity).copied();
        let mut notification = notify_rust::Notification::new();
        notification.appname("Headroom").summary(&alert.title).body(&alert.body);
        // Windows shows a toast under the app whose AppUserModelID it carries: the installer's
        // Start-menu shortcut registers the bundle identifier as Headroom's, so toasts say
        // "Headroom" with its icon (without it they would appear to come from PowerShell).
        #[cfg(windows)]
        notification.app_id(APP_ID);
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            notification.icon("dialog-information");
            if let Some(id) = previous {
                notification.id(id);
            }
        }
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        let _ = previous;
        match notification.show() {
            Ok(_handle) => {
                #[cfg(all(unix, not(target_os = "macos")))]
                shared.notification_ids.lock().unwrap().insert(alert.identity.clone(), _handle.id());
                tracing::info!(title = %alert.title, "notified");
            }
            Err(e) => tracing::warn!("could not show a notification ({e}): {}", alert.title),
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_notification_identity_is_the_bundle_identifier() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../../src-tauri/tauri.conf.json")).unwrap();
        assert_eq!(config["identifier"], super::APP_ID);
    }
}

//! Desktop notifications through the platform's service (the freedesktop notification daemon
//! on Linux, Notification Center on macOS, toasts on Windows).

use headroom_core::alerts::Alert;

use crate::app::SharedState;

/// Shows an alert, replacing the previous one of the same identity where the platform allows.
pub fn show(shared: SharedState, alert: Alert) {
    // Delivery talks to D-Bus synchronously: keep it off the async workers.
    tauri::async_runtime::spawn_blocking(move || {
        let previous = shared.inner.lock().unwrap().notification_ids.get(&alert.identity).copied();
        let mut notification = notify_rust::Notification::new();
        notification.appname("Headroom").summary(&alert.title).body(&alert.body);
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
                shared.inner.lock().unwrap().notification_ids.insert(alert.identity.clone(), _handle.id());
                tracing::info!(title = %alert.title, "notified");
            }
            Err(e) => tracing::warn!("could not show a notification ({e}): {}", alert.title),
        }
    });
}

//! The dashboard and settings windows. They exist only while open: created when opened and
//! destroyed when closed, so an idle Headroom is a tray icon and a timer, with no webview.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub use headroom_shell::Window;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

/// When each window was asked for, to measure the time to its first paint.
static OPENED: Mutex<Option<HashMap<&'static str, Instant>>> = Mutex::new(None);

/// Logs how long a window took from being asked for to its first paint (the UI reports it).
pub fn painted(label: &str) {
    let opened = OPENED.lock().unwrap().as_mut().and_then(|m| m.remove(label));
    if let Some(at) = opened {
        tracing::info!(window = label, ms = at.elapsed().as_millis() as u64, "first paint");
    }
}

pub fn open(app: &AppHandle, which: Window) {
    if let Some(existing) = app.get_webview_window(which.label()) {
        let _ = existing.unminimize();
        let _ = existing.show();
        let _ = existing.set_focus();
        return;
    }
    OPENED.lock().unwrap().get_or_insert_with(HashMap::new).insert(which.label(), Instant::now());
    let (title, width, height) = match which {
        Window::Dashboard => ("Headroom", 400.0, 720.0),
        Window::Settings => ("Headroom Settings", 520.0, 640.0),
    };
    let url = WebviewUrl::App(format!("index.html#{}", which.label()).into());
    if let Err(e) = WebviewWindowBuilder::new(app, which.label(), url).title(title).inner_size(width, height).build() {
        tracing::warn!("could not open the {} window: {e}", which.label());
    }
}

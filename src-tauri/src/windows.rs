//! The dashboard and settings windows. They exist only while open: created when opened and
//! destroyed when closed, so an idle Headroom is a tray icon and a timer, with no webview.

use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Dashboard,
    Settings,
}

impl Window {
    fn label(self) -> &'static str {
        match self {
            Window::Dashboard => "dashboard",
            Window::Settings => "settings",
        }
    }
}

pub fn open(app: &AppHandle, which: Window) {
    if let Some(existing) = app.get_webview_window(which.label()) {
        let _ = existing.unminimize();
        let _ = existing.show();
        let _ = existing.set_focus();
        return;
    }
    let (title, width, height) = match which {
        Window::Dashboard => ("Headroom", 380.0, 540.0),
        Window::Settings => ("Headroom Settings", 520.0, 640.0),
    };
    let url = WebviewUrl::App(format!("index.html#{}", which.label()).into());
    if let Err(e) = WebviewWindowBuilder::new(app, which.label(), url).title(title).inner_size(width, height).build() {
        tracing::warn!("could not open the {} window: {e}", which.label());
    }
}

//! The dashboard and settings windows. They exist only while open: created when opened and
//! destroyed when closed, so an idle Headroom is a tray icon and a timer, with no webview.
//!
//! Each window has one size (as small as it is large) and, on X11, the dialog type: tiling
//! window managers (i3, sway) float such windows instead of tiling a 400 px dashboard across
//! the screen. It opens near the
//! pointer — which has just clicked the tray — where the platform says where that is (X11,
//! Windows, macOS; Wayland places windows itself).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

pub use headroom_protocol::Window;
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
    let place = placement(app, (width, height));
    let url = WebviewUrl::App(format!("index.html#{}", which.label()).into());
    let mut builder = WebviewWindowBuilder::new(app, which.label(), url)
        .title(title)
        .inner_size(place.size.0, place.size.1)
        // One size, as small and large: a tiling manager floats the window (sway decides so).
        .min_inner_size(place.size.0, place.size.1)
        .max_inner_size(place.size.0, place.size.1);
    if let Some((x, y)) = place.at {
        builder = builder.position(x, y);
    }
    match builder.build() {
        Ok(window) => {
            #[cfg(not(target_os = "linux"))]
            let _ = window;
            #[cfg(target_os = "linux")]
            reload_when_the_web_process_ends(&window);
            // Shown at once (created hidden and shown after, the first paint came ~100 ms later):
            // the type is set just after, which managers that decide at map time (i3) miss —
            // they float the window for its one size anyway.
            #[cfg(target_os = "linux")]
            {
                let typed = window.clone();
                let _ = app.run_on_main_thread(move || {
                    if let Ok(gtk_window) = typed.gtk_window() {
                        use gtk::prelude::GtkWindowExt;
                        gtk_window.set_type_hint(gtk::gdk::WindowTypeHint::Dialog);
                    }
                });
            }
        }
        Err(e) => tracing::warn!("could not open the {} window: {e}", which.label()),
    }
}

/// Where a window goes and how big it is, in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub size: (f64, f64),
    /// Its top left corner; `None` to let the system place it.
    pub at: Option<(f64, f64)>,
}

fn placement(app: &AppHandle, size: (f64, f64)) -> Placement {
    let cursor = app.cursor_position().ok();
    let monitor = cursor
        .and_then(|c| app.monitor_from_point(c.x, c.y).ok().flatten())
        .or_else(|| app.primary_monitor().ok().flatten());
    let Some(monitor) = monitor else { return Placement { size, at: None } };
    let scale = monitor.scale_factor();
    let area = monitor.work_area();
    let area = (
        f64::from(area.position.x) / scale,
        f64::from(area.position.y) / scale,
        f64::from(area.size.width) / scale,
        f64::from(area.size.height) / scale,
    );
    // Wayland never says where the pointer is (0, 0): the compositor places the window.
    let pointer = cursor.filter(|c| (c.x, c.y) != (0.0, 0.0)).map(|c| (c.x / scale, c.y / scale));
    place_near(size, area, pointer)
}

/// A window of `size` in the work `area` (x, y, width, height): no larger than the area, and
/// beside `pointer` (which clicked the tray) on the side with room — below a tray at the top of
/// the screen, above one at the bottom — kept inside the area.
pub fn place_near(size: (f64, f64), area: (f64, f64, f64, f64), pointer: Option<(f64, f64)>) -> Placement {
    const MARGIN: f64 = 8.0;
    let (ax, ay, aw, ah) = area;
    let size = (size.0.min(aw - 2.0 * MARGIN).max(200.0), size.1.min(ah - 2.0 * MARGIN).max(200.0));
    let at = pointer.map(|(px, py)| {
        let x = (px - size.0 / 2.0).min(ax + aw - size.0 - MARGIN).max(ax + MARGIN);
        let y = if py < ay + ah / 2.0 { py + 12.0 } else { py - size.1 - 12.0 };
        let y = y.min(ay + ah - size.1 - MARGIN).max(ay + MARGIN);
        (x, y)
    });
    Placement { size, at }
}

/// A WebKit web process that ends (a crash, the system out of memory) left a blank window
/// that "Open dashboard" only raised: the page is loaded again, at most a few times a minute.
#[cfg(target_os = "linux")]
fn reload_when_the_web_process_ends(window: &tauri::WebviewWindow) {
    let label = window.label().to_string();
    let closable = window.clone();
    let _ = window.with_webview(move |platform| {
        use webkit2gtk::WebViewExt;
        let recent: std::rc::Rc<std::cell::RefCell<Vec<Instant>>> = Default::default();
        platform.inner().connect_web_process_terminated(move |view, reason| {
            let mut times = recent.borrow_mut();
            times.retain(|t| t.elapsed() < std::time::Duration::from_secs(60));
            times.push(Instant::now());
            if times.len() > 3 {
                tracing::warn!(window = %label, ?reason, "the window's web process ended again; closing the window");
                let _ = closable.close();
                return;
            }
            tracing::warn!(window = %label, ?reason, "the window's web process ended; loading the window again");
            let view = view.clone();
            // Not from inside WebKit's own signal.
            webkit2gtk::glib::idle_add_local_once(move || view.reload());
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCREEN: (f64, f64, f64, f64) = (0.0, 24.0, 1280.0, 776.0);

    #[test]
    fn a_window_opens_beside_the_tray_on_the_side_with_room() {
        // A top panel's tray, near the right edge: below it, kept on screen.
        let top = place_near((400.0, 720.0), SCREEN, Some((1250.0, 12.0)));
        assert_eq!(top.at, Some((872.0, 32.0)));
        // A bottom panel's tray: above it.
        let bottom = place_near((400.0, 600.0), (0.0, 0.0, 1280.0, 760.0), Some((640.0, 780.0)));
        assert_eq!(bottom.at, Some((440.0, 152.0)));
        // Wayland: no pointer, the compositor places it.
        assert_eq!(place_near((400.0, 720.0), SCREEN, None).at, None);
    }

    #[test]
    fn a_window_is_never_larger_than_the_screen() {
        let small = place_near((400.0, 720.0), (0.0, 0.0, 1024.0, 600.0), Some((1000.0, 5.0)));
        assert_eq!(small.size, (400.0, 584.0));
        assert_eq!(small.at, Some((616.0, 8.0)));
    }
}

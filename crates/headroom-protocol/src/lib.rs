//! Between the tray process and the window process: the windows' calls and the tray's messages
//! ([`calls`], [`messages`]), one JSON object a line over a local socket ([`socket`]: its name,
//! who may use it, claiming it), the tray's accept loop ([`server`]) and the window's line to
//! it ([`client`]). Both processes link this crate; neither's platform code is in it.

pub mod calls;
pub mod client;
pub mod messages;
#[cfg(windows)]
pub mod pipe_security;
pub mod server;
pub mod socket;

pub use calls::{Answer, Call, CallError, Relayed, Reply};
pub use client::{sibling, Link};
pub use messages::{FromTray, Request};

/// The window process's program, beside the tray's.
pub const WINDOW_PROGRAM: &str = "headroom-window";
/// The tray process's program, beside the window's.
pub const TRAY_PROGRAM: &str = "headroom-tray";

/// A window the tray can ask the window process to show.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    Dashboard,
    Settings,
}

impl Window {
    pub fn label(self) -> &'static str {
        match self {
            Window::Dashboard => "dashboard",
            Window::Settings => "settings",
        }
    }

    pub fn from_label(label: &str) -> Option<Window> {
        match label {
            "dashboard" => Some(Window::Dashboard),
            "settings" => Some(Window::Settings),
            _ => None,
        }
    }
}

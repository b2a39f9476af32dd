//! The commands the web UI may call (and nothing else: see capabilities/default.json). The
//! backend pushes new numbers as `dashboard` events; the UI does not poll.

use headroom_core::dashboard_view::DashboardView;
use headroom_core::poll::Trigger;
use tauri::State;

use crate::app::{self, SharedState};

/// The dashboard's numbers now.
#[tauri::command]
pub fn dashboard(state: State<'_, SharedState>) -> DashboardView {
    app::dashboard_view(&state)
}

/// "Retry" and "Refresh": fetch now (clicks within 5 s are one).
#[tauri::command]
pub fn refresh(state: State<'_, SharedState>) {
    state.trigger(Trigger::Click);
}

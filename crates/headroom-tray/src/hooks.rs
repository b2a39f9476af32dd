//! Runs the hooks the core decided on, each on its own thread so a slow hook never holds up
//! polling, notifications or another hook; a failure is logged and put in the menu.

use headroom_core::alerts::hooks::{run_hook, Hook, HookEvent, HOOK_TIME_LIMIT};

use crate::state::SharedState;

/// Runs `hook` on a thread of its own; `finished` is called once the session knows how it went
/// (to redraw the menu's "⚠" line).
pub fn run(shared: &SharedState, hook: Hook, event: HookEvent, finished: impl FnOnce() + Send + 'static) {
    let shared = shared.clone();
    let started = std::thread::Builder::new().name("hook".into()).spawn(move || {
        let result = run_and_log(&hook, &event);
        shared.engine.lock().unwrap().hook_finished(&hook.run, result);
        finished();
    });
    if let Err(e) = started {
        tracing::warn!("a hook could not be started ({e})");
    }
}

/// Runs one hook and says how it went in the log; the sentence for the menu on failure.
pub fn run_and_log(hook: &Hook, event: &HookEvent) -> Result<(), String> {
    match run_hook(hook, event, HOOK_TIME_LIMIT) {
        Ok(()) => {
            tracing::info!(event = event.event.id(), "hook ran: {}", hook.run);
            Ok(())
        }
        Err(e) => {
            tracing::warn!(event = event.event.id(), "{e}");
            Err(e.to_string())
        }
    }
}

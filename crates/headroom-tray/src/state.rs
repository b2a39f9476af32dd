//! The app's state, shared by the tray, the windows' commands and the poller: the core's
//! `Engine` (which decides), and what only the shell needs (notification ids, the poll
//! channel, the folder watch). Loading and saving files lives here; nothing here draws.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use headroom_core::alerts::engine::{Alert, AlertState};
use headroom_core::alerts::key::AlertKey;
use headroom_core::alerts::pause as alert_pause;
use headroom_core::engine::Engine;
use headroom_core::login::guarded_keychain::GuardedKeychain;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::model::UsageSnapshot;
use headroom_core::poll::Trigger;
use headroom_core::session::{settings_problems_alert, SavedState, Session};
use headroom_core::settings::{self, Settings};
use headroom_core::storage;
use tokio::sync::mpsc;

use crate::codex_watch::{CodexWatch, Refetch};

/// Where the alert memory is kept between runs.
pub const ALERTS_FILE: &str = "alerts.json";

pub struct Shared {
    /// Decides everything (see `headroom_core::engine`); held only while it decides.
    pub engine: Mutex<Engine>,
    /// Notification ids by alert identity, so a newer alert replaces the older one.
    pub notification_ids: Mutex<HashMap<AlertKey, u32>>,
    pub demo: bool,
    pub data_dir: Option<PathBuf>,
    triggers: Mutex<Option<mpsc::UnboundedSender<Trigger>>>,
    /// Unix seconds of Codex's last session-log write, from the file watcher.
    pub last_codex_write: Arc<AtomicI64>,
    codex_watch: Mutex<CodexWatch>,
    /// Problems in the settings file found at start, shown once notifications can be.
    settings_alert: Mutex<Option<Alert>>,
    /// The clipboard, kept for the app's life: on X11 what was copied is served by its owner,
    /// so it would vanish with it.
    clipboard: Mutex<Option<arboard::Clipboard>>,
    /// The watch on settings.toml, kept for the app's life (see `settings_watch`).
    pub settings_watch: Mutex<Option<notify::RecommendedWatcher>>,
    /// The settings file's problems last told to the user, so an unchanged problem is told once.
    pub settings_problems_told: Mutex<Vec<String>>,
    /// Held while the settings file is read (or changed) and what it says applied, so a reload
    /// that read the file before a save never applies its older settings after the save's.
    pub settings_order: Mutex<()>,
}

pub type SharedState = Arc<Shared>;

impl Shared {
    /// Reads settings and the state saved by the last run. Nothing here can stop the app: a bad
    /// file is reported and replaced by defaults.
    pub fn load(demo: bool) -> SharedState {
        // A file that cannot be read at all gives the defaults now; should it still be broken
        // when it next changes, the tray keeps what it has, and that is what it will have told.
        let (settings, problems, told) = match settings::default_path().map(|path| settings::read(&path)) {
            Some(Ok((settings, problems))) => (settings, problems.clone(), problems),
            Some(Err(broken)) => (
                Settings::default(),
                vec![settings::defaults_sentence(&broken)],
                vec![settings::kept_sentence(&broken)],
            ),
            None => (Settings::default(), Vec::new(), Vec::new()),
        };
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        let data_dir = storage::data_dir();
        let read = |name: &str| data_dir.as_ref().map(|d| d.join(name));
        // The demo's numbers are made up: it neither reads nor writes the real ones.
        let saved = if demo {
            SavedState::default()
        } else {
            SavedState {
                snapshot: read(storage::LAST_SNAPSHOT).and_then(|p| load_json::<UsageSnapshot>(&p)),
                alerts: read(ALERTS_FILE).and_then(|p| load_json::<AlertState>(&p)).unwrap_or_default(),
                pause: read(alert_pause::PAUSE_FILE).and_then(|p| load_json::<alert_pause::SavedPause>(&p)),
            }
        };
        Arc::new(Shared {
            engine: Mutex::new(Engine::new(Session::restore(settings, saved, !demo, Utc::now()), demo)),
            notification_ids: Mutex::new(HashMap::new()),
            demo,
            data_dir,
            triggers: Mutex::new(None),
            last_codex_write: Arc::new(AtomicI64::new(0)),
            codex_watch: Mutex::new(CodexWatch::default()),
            settings_alert: Mutex::new(settings_problems_alert(&problems)),
            clipboard: Mutex::new(None),
            settings_watch: Mutex::new(None),
            settings_problems_told: Mutex::new(told),
            settings_order: Mutex::new(()),
        })
    }

    /// The settings problems found at start, once.
    pub fn take_settings_alert(&self) -> Option<Alert> {
        self.settings_alert.lock().unwrap().take()
    }

    pub fn settings(&self) -> Settings {
        self.engine.lock().unwrap().settings().clone()
    }

    /// Watches the Codex folder the settings name now (see `codex_watch`).
    pub fn follow_codex_home(self: &Arc<Self>) {
        if self.demo {
            return;
        }
        let home = self.engine.lock().unwrap().codex_home();
        let weak = Arc::downgrade(self);
        let refetch: Refetch = Arc::new(move || {
            if let Some(shared) = weak.upgrade() {
                shared.trigger(Trigger::CredentialsChanged);
            }
        });
        self.codex_watch.lock().unwrap().follow(&home, &refetch, &self.last_codex_write);
    }

    pub fn set_triggers(&self, tx: mpsc::UnboundedSender<Trigger>) {
        *self.triggers.lock().unwrap() = Some(tx);
    }

    pub fn trigger(&self, trigger: Trigger) {
        if let Some(tx) = self.triggers.lock().unwrap().as_ref() {
            let _ = tx.send(trigger);
        }
    }

    /// Puts `text` on the clipboard (a failure is logged: there is nothing else to do).
    pub fn copy_to_clipboard(&self, text: &str) {
        let mut clipboard = self.clipboard.lock().unwrap();
        if clipboard.is_none() {
            match arboard::Clipboard::new() {
                Ok(opened) => *clipboard = Some(opened),
                Err(e) => return tracing::warn!("the clipboard cannot be reached ({e}); nothing was copied"),
            }
        }
        if let Some(Err(e)) = clipboard.as_mut().map(|c| c.set_text(text)) {
            tracing::warn!("could not copy to the clipboard ({e})");
        }
    }

    pub fn save(&self, name: &str, value: &impl serde::Serialize) {
        if let Some(dir) = &self.data_dir {
            if let Err(e) = storage::write_json(&dir.join(name), value) {
                // A full disk costs the saved state, never the running app.
                tracing::warn!("could not save {name} in {}: {e}", dir.display());
            }
        }
    }

    pub fn remove(&self, name: &str) {
        if let Some(dir) = self.data_dir.as_ref().filter(|_| !self.demo) {
            if let Err(e) = std::fs::remove_file(dir.join(name)) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!("could not remove {name} in {}: {e}", dir.display());
                }
            }
        }
    }
}

fn load_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Option<T> {
    match storage::read_json(path) {
        Ok(value) => value,
        Err(e) => {
            tracing::warn!("{e}; starting without it");
            None
        }
    }
}

/// The OS keychain as the tray asks it: with a time limit, and not again after it refused until
/// the person asks (see `GuardedKeychain`). One for the process, so every caller knows what the
/// keychain did lately.
pub fn keychain() -> &'static GuardedKeychain<OsKeychain> {
    static KEYCHAIN: std::sync::OnceLock<GuardedKeychain<OsKeychain>> = std::sync::OnceLock::new();
    KEYCHAIN.get_or_init(|| GuardedKeychain::new(OsKeychain, KEYCHAIN_TIME_LIMIT))
}

/// How long one keychain call may take before the tray stops waiting for it (an unlock prompt
/// left open keeps it waiting; polling goes on).
const KEYCHAIN_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

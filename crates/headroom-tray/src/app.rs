//! What happens when numbers arrive, and the actions the menu and the windows ask for: the
//! core's `Engine` decides, this carries out its effects (notify, switch, save, heal, run hooks,
//! tell the poller, open a window) and asks the shell to redraw.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use headroom_core::accounts::read::{read_account, AccountReport};
use headroom_core::accounts::roster::Roster;
use headroom_core::accounts::schedule::Readings;
use headroom_core::alerts::engine::Alert;
use headroom_core::alerts::hooks::{Hook, HookEvent};
use headroom_core::alerts::pause as alert_pause;
use headroom_core::engine::{self, Command, Redraw};
use headroom_core::error::UsageError;
use headroom_core::fallback::{CodexNow, Fallback};
use headroom_core::login::vault::{Slot, Vault};
use headroom_core::poll::{self, Polled, Trigger};
use headroom_core::present::dashboard_view::{accounts_dashboard, DashboardView};
use headroom_core::present::tray_view::TrayView;
use headroom_core::session::SwitchCodex;
use headroom_core::settings::{self, Settings};
use headroom_core::settings_edit;
use headroom_core::sources::shared_numbers::{MaxAge, SharedNumbers};
use headroom_core::sources::{codex_app_server, demo};
use headroom_core::status::{Context, ReadOptions, SourcePreference, StatusReport};
use headroom_core::storage;
use tokio::runtime::Handle;
use tokio::sync::mpsc;

use crate::menu::{self, MenuAction};
use crate::state::{keychain, SharedState, ALERTS_FILE};
use crate::{hooks, notifications, Shell, Window};

/// The running Headroom: its state, the shell that draws it, and the async runtime its
/// background work runs on. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub shared: SharedState,
    shell: Arc<dyn Shell>,
    runtime: Handle,
}

impl App {
    pub fn new(shared: SharedState, shell: Arc<dyn Shell>, runtime: Handle) -> App {
        App { shared, shell, runtime }
    }

    /// What the tray shows now.
    pub fn tray_view(&self) -> TrayView {
        menu::current_view(&self.shared)
    }

    /// The dashboard's view of the current state: every account.
    pub fn dashboard_view(&self) -> DashboardView {
        accounts_dashboard(self.shared.engine.lock().unwrap().session(), Utc::now())
    }

    /// The tray and open windows show the state as it is now.
    pub fn redraw(&self) {
        self.shell.redraw_tray(self);
        // Open windows update at once; with none open nobody listens and this costs nothing.
        self.shell.dashboard_changed(self.dashboard_view());
    }

    pub fn open_window(&self, window: Window) {
        self.shell.open_window(window);
    }

    pub fn notify(&self, alert: Alert) {
        notifications::show(&self.runtime, self.shared.clone(), alert);
    }

    fn run_hook(&self, hook: Hook, event: HookEvent) {
        let app = self.clone();
        hooks::run(&self.shared, hook, event, move || app.shell.redraw_tray(&app));
    }

    /// Starts polling (and watching Codex's folder) in the background.
    pub fn start(&self) {
        let shared = &self.shared;
        if let Some(alert) = shared.take_settings_alert() {
            self.notify(alert);
        }
        let (tx, rx) = mpsc::unbounded_channel();
        shared.set_triggers(tx);
        if !shared.demo {
            self.shell.set_autostart(shared.settings().autostart);
        }
        let plan = shared.engine.lock().unwrap().poll_plan();
        shared.follow_codex_home();
        self.watch_settings();

        let fetch_app = self.clone();
        let active_shared = shared.clone();
        let report_app = self.clone();
        self.runtime.spawn(poll::run(
            plan,
            rx,
            move || fetch(fetch_app.clone()),
            move || {
                // The default home's last session log, as its watcher saw it write.
                let last = active_shared.last_codex_write.load(Ordering::Relaxed);
                let last = (last > 0).then(|| DateTime::from_timestamp(last, 0)).flatten();
                active_shared.engine.lock().unwrap().codex_in_use(last, Utc::now())
            },
            move |report| report_app.on_report(report),
        ));
    }

    /// New numbers (or failures), one per account read: the session decides, this carries out
    /// what it decided, then redraws once.
    fn on_report(&self, readings: Readings) {
        for answer in readings.reports {
            self.carry_out(&answer.account.id, &answer.report);
        }
        self.shared.follow_codex_home();
        self.redraw();
    }

    fn carry_out(&self, account: &str, report: &StatusReport) {
        let shared = &self.shared;
        if let Some(error) = &report.error {
            tracing::info!(kind = error.kind().id(), account, "refresh failed: {error}");
        }
        let effects = shared.engine.lock().unwrap().apply_reading(account, report, Utc::now());
        if effects.open_settings {
            self.open_window(Window::Settings);
        }
        match effects.switch_codex {
            Some(SwitchCodex::ToApiKey) => self.fallback_action(true),
            Some(SwitchCodex::ToPlan) => self.fallback_action(false),
            None => {}
        }
        if let Some(snapshot) = &effects.save_snapshot {
            shared.save(storage::LAST_SNAPSHOT, snapshot);
        }
        if let Some(alerts) = &effects.save_alerts {
            shared.save(ALERTS_FILE, alerts);
        }
        if let Some(home) = effects.heal {
            if let Some(codex) = codex_app_server::find_codex() {
                self.heal(codex, home);
            }
        }
        if let Some(alert) = effects.notify {
            self.notify(alert);
        }
        for (hook, event) in effects.run_hooks {
            self.run_hook(hook, event);
        }
    }

    /// Changes settings.toml (read, changed and written in place under its lock, so what the CLI
    /// or an editor wrote meanwhile is kept), then applies what the file now says.
    pub fn change_settings<T, E: From<settings_edit::EditError>>(
        &self,
        change: impl FnOnce(&mut Settings) -> Result<T, E>,
    ) -> Result<T, E> {
        let Some(path) = settings::default_path() else {
            return Err(settings_edit::EditError::NoFolder.into());
        };
        let _in_order = self.shared.settings_order.lock().unwrap_or_else(|e| e.into_inner());
        let (value, now) = settings_edit::update(&path, change)?;
        self.use_settings(now);
        Ok(value)
    }

    /// Takes settings.toml as it is now when it changed outside the tray (`headroom accounts
    /// add`, an editor): watched, so no restart is needed.
    fn watch_settings(&self) {
        let (Some(path), false) = (settings::default_path(), self.shared.demo) else { return };
        let app = self.clone();
        let runtime = self.runtime.clone();
        // One save is several events (and an editor writing in place shows a half-written file
        // between them): the file is read once it has been quiet for a moment.
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let changed: crate::settings_watch::Changed = Arc::new(move || {
            let app = app.clone();
            let generation = generation.clone();
            let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
            runtime.spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                if generation.load(Ordering::SeqCst) == mine {
                    app.reload_settings();
                }
            });
        });
        *self.shared.settings_watch.lock().unwrap() = crate::settings_watch::watch(&path, changed);
    }

    /// Takes settings.toml as it is now. A file that cannot be read or is not TOML keeps the
    /// settings in use (nothing in it can be told, and the defaults are not what the user
    /// wrote); its problems are told once each, until the file changes them.
    fn reload_settings(&self) {
        let Some(path) = settings::default_path() else { return };
        let applied = {
            let _in_order = self.shared.settings_order.lock().unwrap_or_else(|e| e.into_inner());
            match settings::read(&path) {
                Ok((loaded, problems)) => {
                    self.tell_settings_problems(problems);
                    let changed = loaded != self.shared.settings();
                    if changed {
                        tracing::info!("settings.toml changed outside the tray; applied");
                        self.use_settings(loaded);
                    }
                    changed
                }
                Err(broken) => {
                    self.tell_settings_problems(vec![settings::kept_sentence(&broken)]);
                    false
                }
            }
        };
        if applied {
            // Homes added or removed elsewhere are accounts to read now.
            self.handle(Command::Refresh);
        }
    }

    /// Logs every problem, and notifies the ones not told before (a problem fixed while another
    /// stays tells nothing new).
    fn tell_settings_problems(&self, problems: Vec<String>) {
        for problem in &problems {
            tracing::warn!("{problem}");
        }
        let mut told = self.shared.settings_problems_told.lock().unwrap();
        let new: Vec<String> = problems.iter().filter(|p| !told.contains(p)).cloned().collect();
        if let Some(alert) = headroom_core::session::settings_problems_alert(&new) {
            self.notify(alert);
        }
        *told = problems;
    }

    /// Applies settings at once (see `Command::UseSettings`).
    fn use_settings(&self, settings: Settings) {
        self.handle(Command::UseSettings(Box::new(settings)));
    }

    /// Asks the engine, and carries out what it decided.
    pub fn handle(&self, command: Command) {
        let effects = self.shared.engine.lock().unwrap().handle(command, Utc::now());
        self.carry_out_command(effects);
    }

    fn carry_out_command(&self, effects: engine::Effects) {
        let shared = &self.shared;
        if effects.ask_keychain_again {
            keychain().ask_again();
        }
        if let Some(pause) = &effects.save_pause {
            shared.save(alert_pause::PAUSE_FILE, pause);
        }
        if effects.remove_pause {
            shared.remove(alert_pause::PAUSE_FILE);
        }
        if let Some(wanted) = effects.set_autostart {
            self.shell.set_autostart(wanted);
        }
        if effects.follow_codex_home {
            shared.follow_codex_home();
        }
        for trigger in effects.poll {
            shared.trigger(trigger);
        }
        match effects.switch_codex {
            Some(SwitchCodex::ToApiKey) => self.fallback_action(true),
            Some(SwitchCodex::ToPlan) => self.fallback_action(false),
            None => {}
        }
        match effects.redraw {
            Redraw::Nothing => {}
            Redraw::Tray => self.shell.redraw_tray(self),
            Redraw::Everything => self.redraw(),
        }
    }

    /// What the menu asks for.
    pub fn on_menu_action(&self, action: MenuAction) {
        match action {
            MenuAction::Open(window) => self.open_window(window),
            // The shell ends its own process; nothing here needs saving first (every change is
            // saved when it is made).
            MenuAction::Quit => {}
            MenuAction::Refresh => self.handle(Command::Refresh),
            MenuAction::PauseForAnHour => self.handle(Command::PauseAlerts { until_reset: false }),
            MenuAction::PauseUntilReset => self.handle(Command::PauseAlerts { until_reset: true }),
            MenuAction::Resume => self.handle(Command::ResumeAlerts),
            MenuAction::SwitchToApiKey => self.handle(Command::SwitchCodex(SwitchCodex::ToApiKey)),
            MenuAction::SwitchToPlan => self.handle(Command::SwitchCodex(SwitchCodex::ToPlan)),
            MenuAction::UseResetCredit => self.open_window(Window::Dashboard),
            MenuAction::CopyCommand(command) => self.shared.copy_to_clipboard(&command),
        }
    }

    /// "Switch Codex to API key" / "Switch Codex back to your ChatGPT plan", from the menu or
    /// decided by the session.
    pub fn fallback_action(&self, to_key: bool) {
        let app = self.clone();
        self.runtime.spawn_blocking(move || {
            let shared = &app.shared;
            let fallback = fallback_for(&Context::load(shared.settings().environment()));
            let result = if to_key { fallback.switch() } else { fallback.restore().map(|_| ()) };
            let alert = shared.engine.lock().unwrap().switched(to_key, &result, Utc::now());
            if result.is_ok() {
                app.shell.redraw_tray(&app);
            }
            app.notify(alert);
            shared.trigger(Trigger::CredentialsChanged);
        });
    }

    /// Asks `codex app-server` to refresh the login, then fetches again with it.
    fn heal(&self, codex: PathBuf, codex_home: PathBuf) {
        let shared = self.shared.clone();
        self.runtime.spawn(async move {
            tracing::info!("asking Codex to refresh its expired login");
            match codex_app_server::refresh_login(&codex, &codex_home).await {
                Ok(()) => {
                    tracing::info!("Codex refreshed its login");
                    shared.trigger(Trigger::CredentialsChanged);
                }
                Err(e) => tracing::warn!("{e}; the menu asks the user to run `codex`"),
            }
        });
    }
}

pub fn fallback_for(ctx: &Context) -> Fallback<'static> {
    ctx.fallback(keychain())
}

async fn fetch(app: App) -> Readings {
    let shared = app.shared.clone();
    if shared.demo {
        let report = StatusReport {
            snapshot: Some(demo::snapshot(Utc::now())),
            credential: None,
            error: None,
            log_file: None,
            paces: Vec::new(),
        };
        let account = shared.engine.lock().unwrap().session().shown().watched.clone();
        let shown = account.id.clone();
        return Readings { reports: vec![AccountReport { account, report, history_notice: None }], shown };
    }
    let settings = shared.settings();
    // The keychain answers over blocking D-Bus calls: keep them off the async workers.
    let read_shared = shared.clone();
    let answer = app
        .runtime
        .spawn_blocking(move || {
            let shared = read_shared;
            let env = settings.environment();
            // Which accounts there are now: a login changed in a home, a token pasted, a home added.
            let roster = Roster::find(&env, &settings, keychain());
            for problem in &roster.problems {
                tracing::warn!("{problem}");
            }
            let shown = roster.shown(settings.pinned_account.as_deref(), &env).id.clone();

            let ctx = Context::load(env.clone());
            let vault = Vault::new(keychain());
            // Whether a fallback key is stored and Codex runs on it, for the icon and the menu.
            let read_at = Utc::now();
            // Which login Codex uses is read without the `codex` program: no PATH search each poll.
            let on_key = Fallback::without_codex(&ctx.env.codex_home, &ctx.config, keychain())
                .codex_now()
                .ok()
                .map(|now| now == CodexNow::FallbackKey);
            let key = vault.load(Slot::FallbackApiKey).ok().map(|key| key.is_some());
            shared.engine.lock().unwrap().observe_fallback(key, on_key, read_at);

            // The accounts found become the session's; each that is due (see
            // `accounts::schedule`) is read, all at once.
            let now = Utc::now();
            let tick = shared.engine.lock().unwrap().plan_tick(&roster.accounts, &shown, now);
            // The tray always asks when an account is due, and shares the answer: a status bar's
            // `headroom status` takes it until the tray reads that account again (an idle one every
            // 15 minutes), and a `headroom` run asking at the same moment is waited for, not doubled.
            let numbers: Vec<Option<SharedNumbers>> = tick
                .promises
                .iter()
                .map(|promise| {
                    shared.data_dir.as_ref().map(|dir| {
                        SharedNumbers::new(dir.join(storage::SHARED_NUMBERS), MaxAge::At(Duration::zero()), *promise)
                    })
                })
                .collect();
            let options: Vec<ReadOptions> = numbers
                .iter()
                .map(|n| ReadOptions { shared: n.as_ref(), ..ReadOptions::from(SourcePreference::Auto) })
                .collect();
            let reports = tokio::runtime::Handle::current().block_on(futures_util::future::join_all(
                tick.due
                    .iter()
                    .zip(&options)
                    .map(|(account, options)| read_account(account, &env, keychain(), options, now)),
            ));
            let mut engine = shared.engine.lock().unwrap();
            for answer in &reports {
                engine.record(&answer.account.id, answer.report.outcome(), Utc::now());
                if let Some(notice) = &answer.history_notice {
                    tracing::warn!("{notice}");
                }
            }
            Readings { reports, shown }
        })
        .await;
    answer.unwrap_or_else(|e| {
        let account = shared.engine.lock().unwrap().session().shown().watched.clone();
        let shown = account.id.clone();
        let report = StatusReport {
            snapshot: None,
            credential: None,
            error: Some(UsageError::Other(format!("Reading the numbers failed unexpectedly ({e}): restart Headroom."))),
            log_file: None,
            paces: Vec::new(),
        };
        Readings { reports: vec![AccountReport { account, report, history_notice: None }], shown }
    })
}

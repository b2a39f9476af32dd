//! Every decision the tray makes, in one place a test reaches without a desktop. The tray's shell
//! keeps one [`Engine`] behind a lock, tells it what happened (a reading, a tick of the poller, a
//! menu action or a window's call as a [`Command`]) and carries out the [`Effects`] it answers
//! with: files, the poller, launch at login, the Codex folder watch, the fallback switch, the
//! redraw. The engine owns the [`Session`] (the accounts, their numbers, the alerts) and when
//! each account is read next ([`AccountSchedule`]).

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};

use crate::accounts::roster::{Roster, WatchedAccount};
use crate::accounts::schedule::{AccountSchedule, Tick, IN_USE_FOR};
use crate::alerts::engine::Alert;
use crate::alerts::pause::{self, SavedPause};
use crate::fallback::FallbackError;
use crate::poll::{Outcome, PollPlan, Trigger};
use crate::session::{self, Session, SwitchCodex};
use crate::settings::Settings;
use crate::status::StatusReport;

/// What the person (through the menu or a window) or the settings file asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// "Refresh now" and "Retry": every account, now, and the keychain asked again even if it
    /// refused lately (the person asked).
    Refresh,
    /// "Pause alerts for an hour" / "… until the limit resets".
    PauseAlerts {
        until_reset: bool,
    },
    ResumeAlerts,
    /// The pin changed: the icon shows the pinned account at once, with the numbers known.
    ShowPinned,
    /// The settings are now these (saved from the window, or the file changed).
    UseSettings(Box<Settings>),
    /// "Switch Codex to API key" / "Switch Codex back to your ChatGPT plan".
    SwitchCodex(SwitchCodex),
}

/// What to draw again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub enum Redraw {
    #[default]
    Nothing,
    /// The tray's icon and menu.
    Tray,
    /// The tray and the open windows.
    Everything,
}

/// What the shell carries out after a [`Command`]: nothing here has happened yet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Effects {
    pub redraw: Redraw,
    /// Keep this pause on disk, so that a restart does not end it.
    pub save_pause: Option<SavedPause>,
    /// The pause on disk is over.
    pub remove_pause: bool,
    /// Tell the poller, in this order.
    pub poll: Vec<Trigger>,
    /// Launch at login on or off, as the settings now say.
    pub set_autostart: Option<bool>,
    /// Watch the Codex folder the settings now name.
    pub follow_codex_home: bool,
    /// Ask the keychain again even if it refused lately.
    pub ask_keychain_again: bool,
    pub switch_codex: Option<SwitchCodex>,
}

/// The tray's decisions, and the state they are made from.
pub struct Engine {
    session: Session,
    schedule: AccountSchedule,
    /// "Refresh now" was asked for: the next tick reads every account, idle or not.
    refresh_all: bool,
    /// Codex wrote a session log lately in another account's home than the default one.
    other_home_in_use: bool,
    /// The demo's numbers are made up: nothing of them is written, and they move fast.
    demo: bool,
}

impl Engine {
    pub fn new(session: Session, demo: bool) -> Engine {
        Engine { session, schedule: AccountSchedule::default(), refresh_all: false, other_home_in_use: false, demo }
    }

    /// What the views read: the accounts, their numbers, the alerts.
    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn settings(&self) -> &Settings {
        self.session.settings()
    }

    /// How often the poller asks: as the settings say; the demo's scripted numbers every 5 s.
    pub fn poll_plan(&self) -> PollPlan {
        let plan = PollPlan::from_settings(self.settings());
        if self.demo {
            PollPlan {
                interval: Duration::seconds(5),
                active_interval: Duration::seconds(5),
                min_gap: Duration::seconds(1),
                ..plan
            }
        } else {
            plan
        }
    }

    /// Whether Codex is in use, which keeps the poller at its quick pace: it wrote a session log
    /// in the default home lately (`last_write`, from the folder watch), or in another account's
    /// home (as the last tick saw).
    pub fn codex_in_use(&self, last_write: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        last_write.is_some_and(|at| now - at < IN_USE_FOR) || self.other_home_in_use
    }

    /// A tick of the poller: the accounts found now (`shown` is the one the icon shows) become
    /// the session's, and the ones due are read (every one after "Refresh now").
    pub fn plan_tick(&mut self, found: &[WatchedAccount], shown: &str, now: DateTime<Utc>) -> Tick {
        self.session.set_accounts(found, shown);
        let forced = std::mem::take(&mut self.refresh_all);
        let interval = PollPlan::from_settings(self.settings()).interval;
        let tick = self.schedule.tick(found, shown, interval, forced, now);
        self.other_home_in_use = tick.other_home_in_use;
        tick
    }

    /// An account was read at `now` with this outcome (a `Retry-After` makes it wait, alone).
    pub fn record(&mut self, account: &str, outcome: Outcome, now: DateTime<Utc>) {
        self.schedule.record(account, outcome, now);
    }

    /// New numbers for `account`, or a failure: the session decides (see [`Session::apply_for`]).
    /// A login to heal in "the settings' Codex home" is named.
    pub fn apply_reading(&mut self, account: &str, report: &StatusReport, now: DateTime<Utc>) -> session::Effects {
        let mut effects = self.session.apply_for(account, report, now);
        if let Some(home) = effects.heal.as_mut().filter(|home| home.as_os_str().is_empty()) {
            *home = self.codex_home();
        }
        effects
    }

    /// The Codex home the settings name (else `CODEX_HOME`, else `~/.codex`).
    pub fn codex_home(&self) -> PathBuf {
        self.settings().environment().codex_home
    }

    /// The fallback switch was carried out (or failed): what to tell the person.
    pub fn switched(&mut self, to_key: bool, result: &Result<(), FallbackError>, now: DateTime<Utc>) -> Alert {
        self.session.switched(to_key, result, now)
    }

    /// See [`Session::observe_fallback`].
    pub fn observe_fallback(&mut self, key_stored: Option<bool>, codex_on_key: Option<bool>, read_at: DateTime<Utc>) {
        self.session.observe_fallback(key_stored, codex_on_key, read_at);
    }

    /// See [`Session::hook_finished`].
    pub fn hook_finished(&mut self, run: &str, result: Result<(), String>) {
        self.session.hook_finished(run, result);
    }

    pub fn handle(&mut self, command: Command, now: DateTime<Utc>) -> Effects {
        match command {
            Command::Refresh => {
                self.refresh_all = true;
                Effects { ask_keychain_again: true, poll: vec![Trigger::Click], ..Effects::default() }
            }
            Command::PauseAlerts { until_reset } => self.pause(until_reset, now),
            Command::ResumeAlerts => {
                self.session.paused_until = None;
                Effects { remove_pause: true, redraw: Redraw::Tray, ..Effects::default() }
            }
            Command::ShowPinned => {
                self.show_pinned();
                Effects { redraw: Redraw::Everything, ..Effects::default() }
            }
            Command::UseSettings(settings) => self.use_settings(*settings),
            Command::SwitchCodex(direction) => Effects { switch_codex: Some(direction), ..Effects::default() },
        }
    }

    /// Pauses alerts for an hour, or until the limit in the way resets (nothing to pause until
    /// when none is known): kept on disk, so that a restart does not end it.
    fn pause(&mut self, until_reset: bool, now: DateTime<Utc>) -> Effects {
        let until = if until_reset {
            pause::until_reset(self.session.shown().snapshot.as_ref(), now).map(|p| p.until)
        } else {
            Some(pause::for_an_hour(now))
        };
        if until.is_some() {
            self.session.paused_until = until;
        }
        Effects {
            save_pause: until.filter(|_| !self.demo).map(|until| SavedPause { until }),
            redraw: Redraw::Tray,
            ..Effects::default()
        }
    }

    /// The accounts already known, and the one the pin names among them by the roster's rule.
    fn show_pinned(&mut self) {
        let env = self.settings().environment();
        let known = Roster {
            accounts: self.session.accounts().iter().map(|a| a.watched.clone()).collect(),
            problems: Vec::new(),
        };
        let shown = known.shown(self.settings().pinned_account.as_deref(), &env).id.clone();
        self.session.set_accounts(&known.accounts, &shown);
    }

    /// Applies settings at once: the poller's schedule, launch at login, another Codex folder
    /// (watched and read at once, as "Refresh now" would), the tray and the windows.
    fn use_settings(&mut self, settings: Settings) -> Effects {
        let old = self.session.replace_settings(settings);
        let mut effects = Effects { redraw: Redraw::Everything, ..Effects::default() };
        if self.demo {
            return effects;
        }
        let now = self.settings();
        effects.poll.push(Trigger::Reschedule(PollPlan::from_settings(now)));
        effects.set_autostart = Some(now.autostart);
        if old.codex_home != now.codex_home {
            effects.follow_codex_home = true;
            effects.poll.push(Trigger::Click);
        }
        effects
    }
}

#[cfg(test)]
mod tests;

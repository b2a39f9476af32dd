//! The usage model every source is turned into: what a person needs to know about their quota.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Where the credential in use came from (`"credential"` in `status --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum CredentialOrigin {
    #[serde(rename = "env")]
    Env,
    /// A token pasted into Headroom, kept in Headroom's keychain entry.
    #[serde(rename = "keychain")]
    Keychain,
    #[serde(rename = "codex-keyring")]
    CodexKeyring,
    /// Codex's encrypted secrets store (`secrets/codex_auth.age`, passphrase in the keychain).
    #[serde(rename = "codex-secrets")]
    CodexSecrets,
    #[serde(rename = "codex-auth-file")]
    CodexAuthFile,
}

impl CredentialOrigin {
    /// The origin an [`id`](CredentialOrigin::id) names.
    pub fn from_id(id: &str) -> Option<CredentialOrigin> {
        use CredentialOrigin::*;
        [Env, Keychain, CodexKeyring, CodexSecrets, CodexAuthFile].into_iter().find(|o| o.id() == id)
    }

    pub fn id(self) -> &'static str {
        match self {
            CredentialOrigin::Env => "env",
            CredentialOrigin::Keychain => "keychain",
            CredentialOrigin::CodexKeyring => "codex-keyring",
            CredentialOrigin::CodexSecrets => "codex-secrets",
            CredentialOrigin::CodexAuthFile => "codex-auth-file",
        }
    }

    /// Whether the login belongs to Codex (so `codex` can refresh it) rather than to Headroom.
    pub fn is_codex_login(self) -> bool {
        matches!(
            self,
            CredentialOrigin::CodexKeyring | CredentialOrigin::CodexSecrets | CredentialOrigin::CodexAuthFile
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            CredentialOrigin::Env => "the HEADROOM_ACCESS_TOKEN variable",
            CredentialOrigin::Keychain => "the token pasted into Headroom",
            CredentialOrigin::CodexKeyring => "Codex's login in the OS keychain",
            CredentialOrigin::CodexSecrets => "Codex's encrypted login",
            CredentialOrigin::CodexAuthFile => "Codex's login file",
        }
    }
}

/// A usage window classified by its length, never by the slot it arrived in: free and some pro
/// plans send the weekly window in `primary_window`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum WindowKind {
    #[serde(rename = "5h")]
    FiveHour,
    #[serde(rename = "weekly")]
    Weekly,
    #[serde(rename = "monthly")]
    Monthly,
    #[serde(rename = "other")]
    Other,
}

const FIVE_HOURS: i64 = 5 * 3600;
const WEEK: i64 = 7 * 86_400;

impl WindowKind {
    /// Classifies a window by its length in seconds. Older data says 299 and 10079 minutes,
    /// so each kind allows a few percent of slack.
    pub fn from_seconds(seconds: i64) -> Self {
        let near = |nominal: i64| seconds.saturating_sub(nominal).saturating_abs() <= nominal * 3 / 100;
        if near(FIVE_HOURS) {
            WindowKind::FiveHour
        } else if near(WEEK) {
            WindowKind::Weekly
        } else if (27 * 86_400..=32 * 86_400).contains(&seconds) {
            WindowKind::Monthly
        } else {
            WindowKind::Other
        }
    }

    /// The nominal length, for shapes that name the kind but not the length.
    pub fn nominal_seconds(self) -> Option<i64> {
        match self {
            WindowKind::FiveHour => Some(FIVE_HOURS),
            WindowKind::Weekly => Some(WEEK),
            WindowKind::Monthly | WindowKind::Other => None,
        }
    }

    /// The word a person reads: "5-hour", "weekly".
    pub fn label(self) -> &'static str {
        match self {
            WindowKind::FiveHour => "5-hour",
            WindowKind::Weekly => "weekly",
            WindowKind::Monthly => "monthly",
            WindowKind::Other => "other",
        }
    }

    /// The identifier used in JSON and settings: "5h", "weekly".
    pub fn id(self) -> &'static str {
        match self {
            WindowKind::FiveHour => "5h",
            WindowKind::Weekly => "weekly",
            WindowKind::Monthly => "monthly",
            WindowKind::Other => "other",
        }
    }

    /// Every kind, in the order the views list them.
    pub const ALL: [WindowKind; 4] = [WindowKind::FiveHour, WindowKind::Weekly, WindowKind::Monthly, WindowKind::Other];

    /// The kind an [`id`](WindowKind::id) names.
    pub fn from_id(id: &str) -> Option<WindowKind> {
        WindowKind::ALL.into_iter().find(|k| k.id() == id)
    }
}

/// Which quota a window belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitId {
    /// The main Codex quota.
    Codex,
    /// The separate code-review quota.
    CodeReview,
    /// A business workspace's monthly credit pool for this member (`individual_limit`).
    CreditPool,
    /// Luna Reserve (`metered_feature: "base_model_inference"`, `limit_name: "gpt-reserve"`):
    /// usage some accounts get once the plan runs out, usable only with the Luna model. It is
    /// never the plan: it neither fills the plan's windows nor starts or ends its "blocked".
    LunaReserve,
    /// A model-specific quota from `additional_rate_limits`, named by its `metered_feature`.
    Feature(String),
}

/// The reserve's `metered_feature` (its limit id in rollouts too) and its `limit_name`.
pub const RESERVE_FEATURE: &str = "base_model_inference";
pub const RESERVE_LIMIT_NAME: &str = "gpt-reserve";

impl LimitId {
    pub fn as_str(&self) -> &str {
        match self {
            LimitId::Codex => "codex",
            LimitId::CodeReview => "code_review",
            LimitId::CreditPool => "credit_pool",
            LimitId::LunaReserve => RESERVE_FEATURE,
            LimitId::Feature(name) => name,
        }
    }
}

impl Serialize for LimitId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl LimitId {
    /// The limit an [`as_str`](LimitId::as_str) names; any other name is a model's own limit.
    pub fn from_id(name: &str) -> LimitId {
        match name {
            "codex" => LimitId::Codex,
            "code_review" => LimitId::CodeReview,
            "credit_pool" => LimitId::CreditPool,
            RESERVE_FEATURE | RESERVE_LIMIT_NAME => LimitId::LunaReserve,
            _ => LimitId::Feature(name.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for LimitId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(LimitId::from_id(&String::deserialize(deserializer)?))
    }
}

/// Who a person in a workspace is, as one string: the workspace (`account_id`) and the person in
/// it (`user_id`, else the email, in lower case): `acct-1/user-abc`; the workspace alone when the
/// person is unknown, the person alone without a workspace. A workspace is not a person: two
/// members of one Team workspace share its account id yet each has their own limits, and one
/// email in two workspaces (a personal Plus, a company Team) is two accounts.
pub fn identity_key(account_id: Option<&str>, user_id: Option<&str>, email: Option<&str>) -> Option<String> {
    fn given(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    let person = given(user_id).map(str::to_string).or_else(|| given(email).map(str::to_ascii_lowercase));
    match (given(account_id), person) {
        (Some(account), Some(person)) => Some(format!("{account}/{person}")),
        (Some(account), None) => Some(account.to_string()),
        (None, person) => person,
    }
}

/// Whose numbers these are, as alerts, the history, the shared numbers and the hooks know them:
/// the person in the workspace ([`identity_key`]), else unknown (an answer that names no
/// account, a session-log sample before any).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountKey(String);

impl AccountKey {
    pub fn of(snapshot: &UsageSnapshot) -> AccountKey {
        let a = &snapshot.account;
        AccountKey(identity_key(a.account_id.as_deref(), a.user_id.as_deref(), a.email.as_deref()).unwrap_or_default())
    }

    /// The workspace alone, which is how data was keyed before people in one workspace were
    /// told apart (kept data is carried over from it); `None` when the key names no person.
    pub fn workspace_only(&self) -> Option<AccountKey> {
        self.0.split_once('/').map(|(workspace, _)| AccountKey(workspace.to_string()))
    }

    /// The account of a stored row or key, as written by [`as_str`](AccountKey::as_str).
    pub fn from_stored(stored: &str) -> AccountKey {
        AccountKey(stored.to_string())
    }

    pub fn is_unknown(&self) -> bool {
        self.0.is_empty()
    }

    /// As stored: empty when unknown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One rate-limit window as last observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageWindow {
    pub limit: LimitId,
    /// A human name for the quota, when the service gives one (additional limits).
    pub limit_name: Option<String>,
    pub kind: WindowKind,
    pub window_seconds: Option<i64>,
    /// Percent used, 0–100 as the service reports it.
    pub used_percent: f64,
    pub resets_at: Option<DateTime<Utc>>,
    /// True when the reset time passed after the numbers were observed, so the window has
    /// started afresh even though no newer sample says so.
    pub reset_since_observed: bool,
    /// A credit pool's own numbers ("250 of 1000 credits used"), when the service gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<PoolCredits>,
    /// When a reset since the observation zeroed this window: what was observed (used %, reset
    /// time), which is what the history records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<(f64, Option<DateTime<Utc>>)>,
    /// The model a per-model limit is for (`normal_model_slug`: `gpt-6-luna` for the reserve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// The credits a monthly pool counts in, as the service states them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PoolCredits {
    pub used: Option<f64>,
    pub limit: Option<f64>,
}

impl UsageWindow {
    /// A main-quota window of the nominal length for its kind.
    pub fn main(kind: WindowKind, used_percent: f64, resets_at: Option<DateTime<Utc>>) -> UsageWindow {
        UsageWindow {
            limit: LimitId::Codex,
            limit_name: None,
            kind,
            window_seconds: kind.nominal_seconds(),
            used_percent,
            resets_at,
            reset_since_observed: false,
            credits: None,
            observed: None,
            model: None,
        }
    }

    pub fn used_clamped(&self) -> f64 {
        if self.used_percent.is_finite() {
            self.used_percent.clamp(0.0, 100.0)
        } else {
            0.0
        }
    }

    pub fn remaining_percent(&self) -> f64 {
        100.0 - self.used_clamped()
    }

    pub fn is_exhausted(&self) -> bool {
        self.used_clamped() >= 100.0
    }

    /// The window's length in words: "5-hour", "weekly", and for other lengths what they are
    /// ("1-hour", "1-day") rather than "other", so two such windows can be told apart.
    pub fn length_label(&self) -> String {
        match (self.kind, self.window_seconds) {
            (WindowKind::Other, Some(s)) if s > 0 && s % 86_400 == 0 => format!("{}-day", s / 86_400),
            (WindowKind::Other, Some(s)) if s > 0 && s % 3_600 == 0 => format!("{}-hour", s / 3_600),
            (WindowKind::Other, Some(s)) if s > 0 && s % 60 == 0 => format!("{}-minute", s / 60),
            (kind, _) => kind.label().to_string(),
        }
    }

    /// What a person calls this window: "5-hour", "weekly", "GPT-5.3-Codex-Spark 5-hour", "Luna
    /// Reserve" (its usual weekly window; another length is named: "Luna Reserve 5-hour").
    pub fn title(&self) -> String {
        match &self.limit {
            LimitId::Codex => crate::text::capitalise(&self.length_label()),
            LimitId::CodeReview => format!("Code review {}", self.length_label()),
            LimitId::CreditPool => "Monthly credit limit".into(),
            LimitId::LunaReserve if self.kind == WindowKind::Weekly || self.window_seconds.is_none() => {
                RESERVE_NAME.into()
            }
            LimitId::LunaReserve => format!("{RESERVE_NAME} {}", self.length_label()),
            LimitId::Feature(feature) => {
                let name = self.limit_name.as_deref().unwrap_or(feature);
                format!("{name} {}", self.length_label())
            }
        }
    }
}

/// What Codex calls the reserve (`model_display_name("gpt-reserve")`).
pub const RESERVE_NAME: &str = "Luna Reserve";

impl UsageWindow {
    /// "Luna only": the one model a reserve can be used with, from `normal_model_slug`
    /// (`gpt-6-luna` → Luna); `None` when the service does not say.
    pub fn only_with(&self) -> Option<String> {
        let slug = self.model.as_deref()?.trim();
        let name = model_family(slug);
        (!name.is_empty()).then(|| format!("{name} only"))
    }
}

/// A model's family as people name it: `gpt-6-luna` and `gpt-5.6-luna` → "Luna"; a slug that
/// does not end in a plain word is kept as it is.
pub fn model_family(slug: &str) -> String {
    let last = slug.rsplit(['-', '_']).next().unwrap_or(slug);
    if !last.is_empty() && last.chars().all(|c| c.is_ascii_alphabetic()) && last.len() < slug.len() {
        crate::text::capitalise(&last.to_ascii_lowercase())
    } else {
        slug.to_string()
    }
}

/// A banked reset, as the list of reset credits names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetCredit {
    pub id: String,
    /// "Full reset (Weekly + 5 hr)".
    pub title: Option<String>,
    /// When it can no longer be used; `None` when it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
}

impl ResetCredit {
    /// Its title, or "Reset credit" when the list gives none.
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or("Reset credit")
    }
}

/// The reset credits the account holds, as last read from the list (at most hourly).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetCreditList {
    pub read_at: DateTime<Utc>,
    /// The usable ones, soonest to expire first.
    pub credits: Vec<ResetCredit>,
}

impl ResetCreditList {
    /// The credit to use when none is named: the one that expires soonest.
    pub fn soonest(&self) -> Option<&ResetCredit> {
        self.credits.first()
    }

    /// When the next credit expires, if any does.
    pub fn next_expires_at(&self) -> Option<DateTime<Utc>> {
        self.credits.iter().filter_map(|c| c.expires_at).min()
    }
}

/// Plan credits (pay-as-you-go top-ups).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Credits {
    pub has_credits: bool,
    pub unlimited: bool,
    pub balance: Option<f64>,
    /// Approximate messages the balance buys, as (low, high).
    pub approx_local_messages: Option<(f64, f64)>,
    pub approx_cloud_messages: Option<(f64, f64)>,
    /// The workspace's overage cap on credits is reached: credits can no longer be spent.
    #[serde(default)]
    pub overage_limit_reached: bool,
}

impl Credits {
    /// Whether Codex can go on by spending credits once the included usage is used up.
    pub fn can_be_spent(&self) -> bool {
        !self.overage_limit_reached && (self.unlimited || (self.has_credits && self.balance.is_none_or(|b| b > 0.0)))
    }
}

/// A business workspace's spend cap (`spend_control`); its numbers are the credit pool window.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SpendControl {
    pub reached: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Account {
    pub email: Option<String>,
    pub account_id: Option<String>,
    pub user_id: Option<String>,
}

/// Where a snapshot's numbers came from.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    #[serde(rename = "api")]
    Api,
    #[serde(rename = "session-log")]
    SessionLog,
}

impl SourceKind {
    /// The source an [`id`](SourceKind::id) names.
    pub fn from_id(id: &str) -> Option<SourceKind> {
        [SourceKind::Api, SourceKind::SessionLog].into_iter().find(|s| s.id() == id)
    }

    pub fn id(self) -> &'static str {
        match self {
            SourceKind::Api => "api",
            SourceKind::SessionLog => "session-log",
        }
    }
}

/// Everything known about the quota at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageSnapshot {
    /// Lower-case plan name as the service spells it (`plus`, `pro`, …); an open set.
    pub plan: Option<String>,
    pub account: Account,
    pub windows: Vec<UsageWindow>,
    pub credits: Option<Credits>,
    /// The service's own verdict (or a main window at 100 %).
    pub limit_reached: bool,
    /// The service's `rate_limit_reached_type.type`, when it gives one.
    pub limit_reached_reason: Option<String>,
    pub spend_control: Option<SpendControl>,
    /// Banked resets the account can spend to reset a limit early
    /// (`rate_limit_reset_credits.available_count`); `None` when the service does not say.
    #[serde(default)]
    pub reset_credits: Option<u32>,
    /// Parts of the answer that were there but could not be read (a window without a readable
    /// percentage, say), by where they were: left out rather than guessed, and named by `doctor`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    /// Windows the service reports switched off (a length of 0): no window at all, only
    /// remembered so an answer whose every window is off can say so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub switched_off: Vec<String>,
    /// Each banked reset with its title and expiry, when the list was read (only while
    /// `reset_credits` is above 0); `None` when it was not or could not be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_credit_list: Option<ResetCreditList>,
    pub observed_at: DateTime<Utc>,
    pub source: SourceKind,
}

/// A saved time further than this ahead of the clock was written while the clock was ahead (a
/// dual boot, a laptop that autostarted before NTP): it is not believed.
pub const CLOCK_SLACK: Duration = Duration::minutes(1);

impl UsageSnapshot {
    /// Older than `stale_after` at `now`. How old that is is the settings' one rule
    /// ([`crate::settings::Settings::stale_after`]); this is the one comparison.
    pub fn is_stale(&self, stale_after: Duration, now: DateTime<Utc>) -> bool {
        now - self.observed_at > stale_after
    }

    /// Dated ahead of `now`: taken while the clock was ahead, so how old it is cannot be said.
    pub fn dated_ahead(&self, now: DateTime<Utc>) -> bool {
        now.checked_add_signed(CLOCK_SLACK).is_some_and(|latest| self.observed_at > latest)
    }

    /// Whether these numbers should replace `shown`. A live answer always does; a session-log
    /// sample only when it is newer than what is shown (a log can be older than the last poll),
    /// or when what is shown is dated ahead of the clock.
    pub fn replaces(&self, shown: Option<&UsageSnapshot>, now: DateTime<Utc>) -> bool {
        match shown {
            None => true,
            Some(_) if self.source == SourceKind::Api => true,
            Some(shown) => shown.dated_ahead(now) || self.observed_at >= shown.observed_at,
        }
    }

    /// The main-quota windows (`limit == codex`), in the order the service sent them.
    pub fn main_windows(&self) -> impl Iterator<Item = &UsageWindow> {
        self.windows.iter().filter(|w| w.limit == LimitId::Codex)
    }

    /// The windows that can stop Codex: the main quota's and the workspace's credit pool.
    pub fn quota_windows(&self) -> impl Iterator<Item = &UsageWindow> {
        self.windows.iter().filter(|w| matches!(w.limit, LimitId::Codex | LimitId::CreditPool))
    }

    /// The workspace's monthly credit limit is reached (`spend_control.reached`).
    pub fn spend_limit_reached(&self) -> bool {
        self.spend_control.as_ref().is_some_and(|s| s.reached)
    }

    /// Whether a window is used up: at 100 %, or the credit pool when the workspace says so.
    pub fn is_exhausted(&self, window: &UsageWindow) -> bool {
        window.is_exhausted() || (window.limit == LimitId::CreditPool && self.spend_limit_reached())
    }

    /// The window that stops Codex now: an exhausted one (the one that frees last when several
    /// are); when the service says the limit is reached but no window reads 100 %, the fullest
    /// main one. `None` for a reached workspace limit the answer has no numbers for.
    pub fn blocking_window(&self) -> Option<&UsageWindow> {
        let exhausted_last = self
            .quota_windows()
            .filter(|w| self.is_exhausted(w))
            .max_by_key(|w| w.resets_at.unwrap_or(DateTime::<Utc>::MAX_UTC));
        if exhausted_last.is_some() {
            return exhausted_last;
        }
        if !self.limit_reached || self.spend_limit_reached() {
            return None;
        }
        self.main_windows().max_by(|a, b| a.used_clamped().total_cmp(&b.used_clamped()))
    }

    /// Whether what stops Codex is the plan's own usage limit, the one a reset credit resets: a
    /// main window used up, or the service saying "reached" without naming a workspace's limit,
    /// and no workspace limit (credit pool, spend control) stopping Codex as well.
    pub fn plan_limit_blocks(&self) -> bool {
        let workspace_blocks = self.spend_limit_reached()
            || self.quota_windows().any(|w| w.limit == LimitId::CreditPool && self.is_exhausted(w))
            || self.limit_reached_reason.as_deref().is_some_and(|r| r.starts_with("workspace_"));
        if workspace_blocks {
            return false;
        }
        self.main_windows().any(UsageWindow::is_exhausted) || self.limit_reached
    }

    /// The Luna Reserve's windows (usually one, weekly).
    pub fn reserve_windows(&self) -> impl Iterator<Item = &UsageWindow> {
        self.windows.iter().filter(|w| w.limit == LimitId::LunaReserve)
    }

    /// The reserve, when it has room: its window with the least left. `None` without a reserve
    /// or when any of its windows is used up.
    pub fn reserve_with_room(&self) -> Option<&UsageWindow> {
        if self.reserve_windows().any(UsageWindow::is_exhausted) {
            return None;
        }
        self.reserve_windows().max_by(|a, b| a.used_clamped().total_cmp(&b.used_clamped()))
    }

    /// The quota window closest to its limit (for a one-number summary).
    pub fn tightest_window(&self) -> Option<&UsageWindow> {
        self.quota_windows().max_by(|a, b| a.used_clamped().total_cmp(&b.used_clamped()))
    }

    /// Once the included usage is used up, Codex goes on by spending the account's credits.
    pub fn spends_credits(&self) -> bool {
        self.limit_reached && self.credits.as_ref().is_some_and(Credits::can_be_spent)
    }

    /// Whether the answer carries anything worth showing, windows or not.
    pub fn has_anything(&self) -> bool {
        !self.windows.is_empty()
            || self.plan.is_some()
            || self.reset_credits.is_some()
            || self.credits.as_ref().is_some_and(|c| c.unlimited || c.has_credits || c.balance.is_some())
    }

    /// Applies resets that happened after the snapshot was observed: a window whose reset time
    /// has passed by `now` starts afresh at 0 %, its next reset unknown until a new sample.
    pub fn with_resets_applied(mut self, now: DateTime<Utc>) -> Self {
        let mut any_reset = false;
        for window in &mut self.windows {
            if let Some(reset) = window.resets_at {
                let observed = self.observed_at.checked_sub_signed(Duration::seconds(1)).unwrap_or(self.observed_at);
                if reset <= now && reset > observed {
                    window.observed = Some((window.used_percent, window.resets_at));
                    window.used_percent = 0.0;
                    window.resets_at = None;
                    window.reset_since_observed = true;
                    any_reset = true;
                }
            }
        }
        if any_reset {
            let still_exhausted = self.quota_windows().any(|w| self.is_exhausted(w));
            if !still_exhausted {
                self.limit_reached = false;
                self.limit_reached_reason = None;
            }
        }
        self
    }
}

impl UsageSnapshot {
    /// A live answer of the usage service on `plan` for `account` with these windows, observed
    /// at `at`, and nothing else in it; the limit is reached when a window is exhausted. What the
    /// tests build their numbers from (`headroom_testkit::snapshot`).
    pub fn live(plan: &str, account: Account, windows: Vec<UsageWindow>, at: DateTime<Utc>) -> UsageSnapshot {
        UsageSnapshot {
            plan: Some(plan.into()),
            account,
            limit_reached: windows.iter().any(UsageWindow::is_exhausted),
            windows,
            credits: None,
            limit_reached_reason: None,
            spend_control: None,
            reset_credits: None,
            unreadable: Vec::new(),
            switched_off: Vec::new(),
            reset_credit_list: None,
            observed_at: at,
            source: SourceKind::Api,
        }
    }

    /// Tests' shorthand: a live Plus answer for acct-1 with these windows, observed at `at`.
    #[cfg(test)]
    pub(crate) fn plus_for_tests(windows: Vec<UsageWindow>, at: DateTime<Utc>) -> UsageSnapshot {
        UsageSnapshot::live("plus", Account { account_id: Some("acct-1".into()), ..Default::default() }, windows, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn window(kind: WindowKind, used: f64, reset_hour: u32) -> UsageWindow {
        UsageWindow::main(kind, used, Some(Utc.with_ymd_and_hms(2026, 11, 22, reset_hour, 0, 0).unwrap()))
    }

    fn snapshot(windows: Vec<UsageWindow>, limit_reached: bool) -> UsageSnapshot {
        UsageSnapshot {
            plan: Some("plus".into()),
            account: Account::default(),
            windows,
            credits: None,
            limit_reached,
            limit_reached_reason: None,
            spend_control: None,
            reset_credits: None,
            unreadable: Vec::new(),
            switched_off: Vec::new(),
            reset_credit_list: None,
            observed_at: Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap(),
            source: SourceKind::Api,
        }
    }

    #[test]
    fn classifies_windows_by_length_with_slack() {
        assert_eq!(WindowKind::from_seconds(18_000), WindowKind::FiveHour);
        assert_eq!(WindowKind::from_seconds(299 * 60), WindowKind::FiveHour);
        assert_eq!(WindowKind::from_seconds(604_800), WindowKind::Weekly);
        assert_eq!(WindowKind::from_seconds(10_079 * 60), WindowKind::Weekly);
        assert_eq!(WindowKind::from_seconds(30 * 86_400), WindowKind::Monthly);
        assert_eq!(WindowKind::from_seconds(3_600), WindowKind::Other);
        assert_eq!(WindowKind::from_seconds(0), WindowKind::Other);
        assert_eq!(WindowKind::from_seconds(-5), WindowKind::Other);
    }

    #[test]
    fn the_exhausted_window_blocks_not_the_fuller_slot() {
        let snap = snapshot(vec![window(WindowKind::FiveHour, 3.0, 15), window(WindowKind::Weekly, 100.0, 20)], true);
        assert_eq!(snap.blocking_window().unwrap().kind, WindowKind::Weekly);
    }

    #[test]
    fn when_both_are_exhausted_the_later_reset_blocks() {
        let snap = snapshot(vec![window(WindowKind::Weekly, 100.0, 23), window(WindowKind::FiveHour, 100.0, 12)], true);
        assert_eq!(snap.blocking_window().unwrap().kind, WindowKind::Weekly);
    }

    #[test]
    fn limit_reached_without_a_full_window_blames_the_fullest() {
        let snap = snapshot(vec![window(WindowKind::FiveHour, 99.6, 12), window(WindowKind::Weekly, 40.0, 23)], true);
        assert_eq!(snap.blocking_window().unwrap().kind, WindowKind::FiveHour);
        let free = snapshot(vec![window(WindowKind::FiveHour, 99.6, 12)], false);
        assert!(free.blocking_window().is_none());
    }

    #[test]
    fn a_passed_reset_zeroes_the_window_and_lifts_the_block() {
        let snap = snapshot(vec![window(WindowKind::FiveHour, 100.0, 12), window(WindowKind::Weekly, 50.0, 23)], true);
        let later = snap.with_resets_applied(Utc.with_ymd_and_hms(2026, 11, 22, 13, 0, 0).unwrap());
        assert_eq!(later.windows[0].used_percent, 0.0);
        assert!(later.windows[0].reset_since_observed);
        assert_eq!(later.windows[0].resets_at, None);
        assert_eq!(later.windows[1].used_percent, 50.0);
        assert!(!later.limit_reached);
        assert!(later.blocking_window().is_none());
    }

    #[test]
    fn a_reset_of_the_five_hour_window_leaves_an_exhausted_weekly_blocking() {
        let snap = snapshot(vec![window(WindowKind::FiveHour, 100.0, 12), window(WindowKind::Weekly, 100.0, 23)], true);
        let later = snap.with_resets_applied(Utc.with_ymd_and_hms(2026, 11, 22, 13, 0, 0).unwrap());
        assert!(later.limit_reached);
        assert_eq!(later.blocking_window().unwrap().kind, WindowKind::Weekly);
    }

    #[test]
    fn titles_read_naturally() {
        let mut w = window(WindowKind::FiveHour, 1.0, 12);
        assert_eq!(w.title(), "5-hour");
        w.limit = LimitId::CodeReview;
        w.kind = WindowKind::Weekly;
        assert_eq!(w.title(), "Code review weekly");
        w.limit = LimitId::Feature("gpt_x".into());
        w.limit_name = Some("GPT-X".into());
        assert_eq!(w.title(), "GPT-X weekly");
        // Other lengths are named by what they are, so two of them can be told apart.
        let other =
            |seconds| UsageWindow { window_seconds: Some(seconds), ..UsageWindow::main(WindowKind::Other, 1.0, None) };
        let titles: Vec<String> = [3_600, 86_400, 900, 32_400, 1_234].map(|s| other(s).title()).into();
        assert_eq!(titles, ["1-hour", "1-day", "15-minute", "9-hour", "Other"]);
        w.limit = LimitId::CreditPool;
        assert_eq!(w.title(), "Monthly credit limit");
    }

    #[test]
    fn a_live_answer_always_replaces_what_is_shown_and_numbers_dated_ahead_are_not_believed() {
        let now = Utc::now();
        let at = |minutes: i64, source: SourceKind| UsageSnapshot {
            plan: None,
            account: Account::default(),
            windows: Vec::new(),
            credits: None,
            limit_reached: false,
            limit_reached_reason: None,
            spend_control: None,
            reset_credits: None,
            unreadable: Vec::new(),
            switched_off: Vec::new(),
            reset_credit_list: None,
            observed_at: now + Duration::minutes(minutes),
            source,
        };
        let saved_ahead = at(180, SourceKind::Api);
        assert!(saved_ahead.dated_ahead(now));
        assert!(!at(0, SourceKind::Api).dated_ahead(now) && !at(-60, SourceKind::Api).dated_ahead(now));
        assert!(at(0, SourceKind::Api).replaces(Some(&saved_ahead), now), "live beats a date ahead");
        assert!(at(-30, SourceKind::SessionLog).replaces(Some(&saved_ahead), now), "what is shown is not believed");
        let shown = at(-5, SourceKind::Api);
        assert!(!at(-30, SourceKind::SessionLog).replaces(Some(&shown), now), "an older log sample waits");
        assert!(at(-1, SourceKind::SessionLog).replaces(Some(&shown), now));
        assert!(at(-30, SourceKind::Api).replaces(Some(&shown), now), "a live answer always replaces");
        assert!(at(-30, SourceKind::SessionLog).replaces(None, now));
    }
}

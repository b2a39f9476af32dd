//! The phrasebook: what every view (the tray, the dashboard, the status bars, the CLI) calls a
//! window's state, an error, an empty answer and a credit balance, said the same way everywhere.

use crate::error::UsageError;
use crate::login::credentials::ProbeOutcome;
use crate::model::{CredentialOrigin, UsageSnapshot, UsageWindow};
use crate::settings::Settings;
use headroom_types::Level;

/// How full `window` is, by the user's thresholds: what the icon's colour and every view's
/// level say.
pub fn level(window: &UsageWindow, blocking: bool, settings: &Settings) -> Level {
    let used = window.used_clamped();
    let thresholds = settings.thresholds_for(window.kind);
    let low = thresholds.first().copied().unwrap_or(80);
    let nearly = thresholds.last().copied().unwrap_or(95).max(low);
    if window.is_exhausted() || blocking {
        Level::Blocked
    } else if used >= f64::from(nearly) && nearly > low {
        Level::NearlyOut
    } else if used >= f64::from(low) {
        Level::GettingLow
    } else {
        Level::Plenty
    }
}

/// The error in a few words with its fix, for a menu line.
pub fn short_error(error: &UsageError) -> String {
    let codex = |origin: CredentialOrigin| origin.is_codex_login();
    match error {
        UsageError::Expired { origin, .. } if codex(*origin) => "Login expired — run `codex`".into(),
        UsageError::Expired { origin: CredentialOrigin::Keychain, .. } => {
            "Pasted token expired — paste a new one in Settings".into()
        }
        UsageError::Expired { .. } => "HEADROOM_ACCESS_TOKEN expired — set a fresh token".into(),
        UsageError::Unauthorized { origin, .. } if codex(*origin) => "Login rejected — run `codex`".into(),
        UsageError::Unauthorized { origin: CredentialOrigin::Keychain, .. } => {
            "Pasted token rejected — paste a new one in Settings".into()
        }
        UsageError::Unauthorized { .. } => "HEADROOM_ACCESS_TOKEN rejected — set a fresh token".into(),
        UsageError::AccessTokenRefused { .. } => "Codex access token refused — create a new one".into(),
        UsageError::MalformedToken { origin, .. } if codex(*origin) => "Login damaged — run `codex login`".into(),
        UsageError::MalformedToken { origin: CredentialOrigin::Keychain, .. } => {
            "Pasted token damaged — paste it again in Settings".into()
        }
        UsageError::MalformedToken { .. } => "HEADROOM_ACCESS_TOKEN damaged — set it again".into(),
        UsageError::NoCredentials { .. } => "No Codex login — run `codex login` or paste a token".into(),
        UsageError::NoQuota(crate::login::codex_login::NoQuotaLogin::ApiKey) => {
            "Codex uses an API key — no plan quota to show".into()
        }
        UsageError::NoQuota(kind) => format!("Codex uses {} — no plan quota to show", kind.describe()),
        UsageError::NoSessionLogs { .. } => "No Codex numbers yet — run `codex login`".into(),
        UsageError::NoUsageInLogs { .. } => "No usage limits in Codex's logs yet — run `codex login`".into(),
        UsageError::HomeGone { .. } => "Codex home is gone — remove it in Settings".into(),
        UsageError::Network { .. } => "Offline".into(),
        UsageError::RateLimited { .. } => "The usage service is busy".into(),
        UsageError::ServerError { .. } => "The usage service is failing".into(),
        UsageError::OwnerUnknown { .. } => "The account service is failing".into(),
        UsageError::InvalidResponse { .. } => "Unexpected answer from the usage service".into(),
        UsageError::Other(_) => "Setup problem — run `headroom doctor`".into(),
        UsageError::Unreadable(sentence) => crate::text::without_full_stop(sentence).to_string(),
    }
}

/// What the CLI, the tray and the dashboard say when an answer holds no window.
pub const NO_WINDOWS: &str = "The service reported no usage windows for this account";
/// The same when the service sent windows, every one of them switched off.
pub const NO_ACTIVE_WINDOWS: &str = "The service reported no active usage windows for this account";

/// [`NO_WINDOWS`], or [`NO_ACTIVE_WINDOWS`] when every window sent is switched off.
pub fn no_windows(snapshot: &UsageSnapshot) -> &'static str {
    if snapshot.switched_off.is_empty() {
        NO_WINDOWS
    } else {
        NO_ACTIVE_WINDOWS
    }
}

/// "250 of 1000 credits used", when the pool says both.
pub fn pool_credits(credits: crate::model::PoolCredits) -> Option<String> {
    let (used, limit) = (credits.used?, credits.limit?);
    Some(format!("{} of {} credits used", crate::humanize::amount(used), crate::humanize::amount(limit)))
}

/// The credit balance worth showing: "12.40", "unlimited"; none when the account has none.
pub fn credits_text(credits: &crate::model::Credits) -> Option<String> {
    if credits.unlimited {
        Some("unlimited".into())
    } else {
        credits.balance.filter(|b| *b > 0.0 || credits.has_credits).map(|b| format!("{b:.2}"))
    }
}

/// What one place a login is looked for in holds, as Settings' list and `doctor` say it: "found:
/// me@example.org", "not found: no auth.json", "Bedrock login: it has no plan quota to show",
/// "unusable: …", "skipped: …". `doctor` says more of a login it found.
pub fn probe_status(outcome: &ProbeOutcome) -> String {
    match outcome {
        ProbeOutcome::Found(c) => {
            format!("found{}", c.claims.email.as_ref().map(|e| format!(": {e}")).unwrap_or_default())
        }
        ProbeOutcome::NotFound(why) => format!("not found: {why}"),
        ProbeOutcome::NoQuota(kind) => {
            format!("{} login: it has no plan quota to show", crate::text::capitalise(kind.describe()))
        }
        ProbeOutcome::Failed(why) => format!("unusable: {why}"),
        ProbeOutcome::Skipped(why) => format!("skipped: {why}"),
    }
}

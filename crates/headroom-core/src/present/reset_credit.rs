//! Using a banked reset credit, in words: when Headroom offers it (a credit is banked and a limit
//! blocks or nearly blocks), which credit it picks, the question it always asks first, and one
//! sentence for each answer the service can give. Nothing here spends anything: the shells ask
//! the user, then [`crate::sources::reset_credits`] sends the one request.

use chrono::{DateTime, Utc};

use crate::humanize::{date, used_and_left};
use crate::model::{ResetCredit, UsageSnapshot};
use crate::settings::Settings;
use crate::sources::reset_credits::ConsumeOutcome;

/// Why Headroom does not offer to use a reset credit now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotNow {
    #[error("This account has no reset credit banked: there is nothing to use.")]
    NoCredit,
    #[error("Nothing blocks Codex now (the tightest limit has {left}% left): a reset credit cannot be undone, so Headroom offers it only when a limit blocks or nearly blocks.")]
    NothingBlocks { left: u32 },
    #[error("What stops Codex is your workspace's limit, which a reset credit does not lift: ask your workspace's admin, or wait for it to reset.")]
    WorkspaceLimit,
    #[error("The service counts reset credits for this account but lists none that can be used now, so Headroom cannot name one: try again in a few minutes.")]
    NoneListed,
    #[error("The list of reset credits could not be read, so Headroom cannot name the credit it would use: try again in a few minutes.")]
    ListUnknown,
    #[error("No reset credit has the id {0}: `headroom status --json` lists them.")]
    NoSuchCredit(String),
}

/// Whether using a reset credit is worth offering: the account has one (and its list was read,
/// so the credit can be named), and a limit of the plan blocks Codex or nearly does (at or past
/// the last alert threshold of its kind). Neither the reserve, per-model limits nor a
/// workspace's limits count: a reset of the plan does not lift them.
pub fn worth_using(snapshot: &UsageSnapshot, settings: &Settings) -> Result<(), NotNow> {
    if snapshot.reset_credits.is_none_or(|c| c == 0) {
        return Err(NotNow::NoCredit);
    }
    match &snapshot.reset_credit_list {
        None => return Err(NotNow::ListUnknown),
        Some(list) if list.credits.is_empty() => return Err(NotNow::NoneListed),
        Some(_) => {}
    }
    if snapshot.plan_limit_blocks() {
        return Ok(());
    }
    // Something else stops Codex: a workspace's limit.
    if snapshot.blocking_window().is_some() || snapshot.limit_reached {
        return Err(NotNow::WorkspaceLimit);
    }
    let nearly = |w: &crate::model::UsageWindow| {
        let last = settings.thresholds_for(w.kind).last().copied().unwrap_or(95);
        w.used_clamped() >= f64::from(last)
    };
    if snapshot.main_windows().any(nearly) {
        return Ok(());
    }
    let left = snapshot.main_windows().map(|w| used_and_left(w.used_percent).1).min().unwrap_or(100);
    Err(NotNow::NothingBlocks { left })
}

/// The credit to use: the one named, else the one that expires soonest.
pub fn pick<'a>(snapshot: &'a UsageSnapshot, id: Option<&str>) -> Result<&'a ResetCredit, NotNow> {
    let list = snapshot.reset_credit_list.as_ref().ok_or(NotNow::ListUnknown)?;
    match id {
        Some(id) => list.credits.iter().find(|c| c.id == id).ok_or_else(|| NotNow::NoSuchCredit(id.to_string())),
        None => list.soonest().ok_or(NotNow::NoCredit),
    }
}

/// The credit as a person reads it: "“Full reset (Weekly + 5 hr)” (expires 17 Jul)".
pub fn describe(credit: &ResetCredit, now: DateTime<Utc>) -> String {
    match credit.expires_at {
        Some(at) => format!("{} (expires {})", title(credit), date(at, now)),
        None => title(credit),
    }
}

/// "“Full reset (Weekly + 5 hr)”".
fn title(credit: &ResetCredit) -> String {
    format!("“{}”", credit.title())
}

/// The question asked before anything is sent, naming the credit (and the account, where the
/// place it is asked in does not) and that it cannot be undone.
pub fn question(credit: &ResetCredit, account: Option<&str>, now: DateTime<Utc>) -> String {
    let whose = account.map(|a| format!(" for {a}")).unwrap_or_default();
    format!(
        "Use the reset credit {}{whose} now? It resets Codex's usage limits at once and cannot be undone.",
        describe(credit, now)
    )
}

/// One sentence for each answer the service gives.
pub fn outcome_sentence(outcome: &ConsumeOutcome, credit: &ResetCredit, now: DateTime<Utc>) -> String {
    let used = title(credit);
    let kept = describe(credit, now);
    match outcome {
        ConsumeOutcome::Reset { windows_reset: Some(n) } => format!(
            "Done: the reset credit {used} was used and reset {n} usage limit{}; your numbers are read again.",
            if *n == 1 { "" } else { "s" }
        ),
        ConsumeOutcome::Reset { windows_reset: None } => {
            format!("Done: the reset credit {used} was used and your usage limits were reset; your numbers are read again.")
        }
        ConsumeOutcome::NothingToReset => format!(
            "Nothing needed resetting, so the service kept the reset credit {kept}: it is still yours for when a limit stops you."
        ),
        ConsumeOutcome::NoCredit => {
            "The service found no reset credit to use (it may have expired or been used elsewhere): nothing was reset; `headroom status` shows what is left.".into()
        }
        ConsumeOutcome::AlreadyRedeemed => format!(
            "The service had already carried out this request, so the reset credit {used} was used once, not twice: `headroom status` shows your limits now."
        ),
        ConsumeOutcome::Other(code) => format!(
            "The service answered “{code}”, which Headroom does not know: check your limits with `headroom status` before trying again."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ResetCreditList, UsageWindow, WindowKind};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 14, 10, 0, 0).unwrap()
    }

    fn credit(id: &str, expires_day: Option<u32>) -> ResetCredit {
        ResetCredit {
            id: id.into(),
            title: Some("Full reset (Weekly + 5 hr)".into()),
            expires_at: expires_day.map(|d| Utc.with_ymd_and_hms(2026, 7, d, 0, 0, 0).unwrap()),
        }
    }

    fn snapshot(five: f64, weekly: f64, credits: Option<u32>) -> UsageSnapshot {
        let mut s = UsageSnapshot::plus_for_tests(
            vec![
                UsageWindow::main(WindowKind::FiveHour, five, None),
                UsageWindow::main(WindowKind::Weekly, weekly, None),
            ],
            now(),
        );
        s.reset_credits = credits;
        s.reset_credit_list =
            Some(ResetCreditList { read_at: now(), credits: vec![credit("a", Some(17)), credit("b", None)] });
        s
    }

    #[test]
    fn offered_only_when_a_limit_blocks_or_nearly_does_and_a_credit_is_banked() {
        let settings = Settings::default();
        assert_eq!(worth_using(&snapshot(100.0, 40.0, Some(2)), &settings), Ok(()));
        assert_eq!(worth_using(&snapshot(20.0, 96.0, Some(2)), &settings), Ok(()), "nearly: at the last threshold");
        assert_eq!(worth_using(&snapshot(20.0, 60.0, Some(2)), &settings), Err(NotNow::NothingBlocks { left: 40 }));
        assert_eq!(worth_using(&snapshot(100.0, 40.0, Some(0)), &settings), Err(NotNow::NoCredit));
        assert_eq!(worth_using(&snapshot(100.0, 40.0, None), &settings), Err(NotNow::NoCredit));
    }

    #[test]
    fn not_offered_before_the_credit_can_be_named() {
        let settings = Settings::default();
        let mut unread = snapshot(100.0, 40.0, Some(2));
        unread.reset_credit_list = None;
        assert_eq!(worth_using(&unread, &settings), Err(NotNow::ListUnknown));
        let mut empty = snapshot(100.0, 40.0, Some(2));
        empty.reset_credit_list = Some(ResetCreditList { read_at: now(), credits: vec![] });
        assert_eq!(worth_using(&empty, &settings), Err(NotNow::NoneListed));
    }

    #[test]
    fn not_offered_for_a_limit_a_reset_does_not_lift() {
        let settings = Settings::default();
        let mut pool_full = snapshot(20.0, 40.0, Some(2));
        let mut pool = UsageWindow::main(WindowKind::Monthly, 100.0, None);
        pool.limit = crate::model::LimitId::CreditPool;
        pool_full.windows.push(pool);
        pool_full.limit_reached = true;
        assert_eq!(worth_using(&pool_full, &settings), Err(NotNow::WorkspaceLimit));

        let mut spend = snapshot(20.0, 40.0, Some(2));
        spend.spend_control = Some(crate::model::SpendControl { reached: true });
        spend.limit_reached = true;
        assert_eq!(worth_using(&spend, &settings), Err(NotNow::WorkspaceLimit));

        let mut owner = snapshot(20.0, 40.0, Some(2));
        owner.limit_reached = true;
        owner.limit_reached_reason = Some("workspace_owner_credits_depleted".into());
        assert_eq!(worth_using(&owner, &settings), Err(NotNow::WorkspaceLimit));

        let mut plain = snapshot(20.0, 40.0, Some(2));
        plain.limit_reached = true;
        assert_eq!(worth_using(&plain, &settings), Ok(()), "reached without a workspace's reason is the plan's");

        let mut model_cap = snapshot(20.0, 40.0, Some(2));
        let mut spark = UsageWindow::main(WindowKind::FiveHour, 100.0, None);
        spark.limit = crate::model::LimitId::Feature("codex_spark".into());
        model_cap.windows.push(spark);
        assert_eq!(worth_using(&model_cap, &settings), Err(NotNow::NothingBlocks { left: 60 }));
    }

    #[test]
    fn the_soonest_to_expire_is_picked_unless_one_is_named() {
        let s = snapshot(100.0, 0.0, Some(2));
        assert_eq!(pick(&s, None).unwrap().id, "a");
        assert_eq!(pick(&s, Some("b")).unwrap().id, "b");
        assert_eq!(pick(&s, Some("zz")), Err(NotNow::NoSuchCredit("zz".into())));
        let mut unknown = s.clone();
        unknown.reset_credit_list = None;
        assert_eq!(pick(&unknown, None), Err(NotNow::ListUnknown));
    }

    #[test]
    fn the_question_names_the_credit_and_that_it_cannot_be_undone() {
        let q = question(&credit("a", Some(17)), Some("dev@example.com"), now());
        assert_eq!(
            q,
            "Use the reset credit “Full reset (Weekly + 5 hr)” (expires 17 Jul) for dev@example.com now? It resets Codex's usage limits at once and cannot be undone."
        );
    }

    #[test]
    fn every_answer_is_one_sentence() {
        let c = credit("a", Some(17));
        for outcome in [
            ConsumeOutcome::Reset { windows_reset: Some(2) },
            ConsumeOutcome::Reset { windows_reset: None },
            ConsumeOutcome::NothingToReset,
            ConsumeOutcome::NoCredit,
            ConsumeOutcome::AlreadyRedeemed,
            ConsumeOutcome::Other("later".into()),
        ] {
            let text = outcome_sentence(&outcome, &c, now());
            assert!(text.ends_with('.') && text.matches(". ").count() == 0, "{text}");
        }
        assert!(outcome_sentence(&ConsumeOutcome::Reset { windows_reset: Some(2) }, &c, now())
            .contains("reset 2 usage limits"));
    }
}

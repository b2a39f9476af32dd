//! Numbers and times the way a person reads them: "58% left", "resets 14:20 (in 2 h 13 m)",
//! "updated 2 min ago". Shared by the CLI and the tray so both say the same thing. It sits at the
//! bottom, beside `text`: errors, logins and alerts word their sentences with it as the views do.

use crate::text::capitalise;
use chrono::{DateTime, Datelike, Duration, Local, TimeZone, Utc};

/// A compact duration: "2 h 13 m", "4 d 12 h", "13 m", "45 s".
pub fn duration(d: Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, minutes) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match () {
        _ if days > 0 && hours > 0 => format!("{days} d {hours} h"),
        _ if days > 0 => format!("{days} d"),
        _ if hours > 0 && minutes > 0 => format!("{hours} h {minutes} m"),
        _ if hours > 0 => format!("{hours} h"),
        _ if minutes > 0 => format!("{minutes} m"),
        _ => format!("{secs} s"),
    }
}

/// How long ago: "just now", "2 min ago", "3 h ago", "2 days ago".
pub fn age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s if s < 2 * 86_400 => "1 day ago".into(),
        s => format!("{} days ago", s / 86_400),
    }
}

/// A coarse point in time relative to `now`: "in 2 days", "in 5 hours", "3 h ago".
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at <= now {
        return age(at, now);
    }
    let secs = (at - now).num_seconds();
    match secs {
        s if s < 60 => "in under a minute".into(),
        s if s < 3600 => format!("in {} min", s / 60),
        s if s < 2 * 3600 => "in 1 hour".into(),
        s if s < 86_400 => format!("in {} hours", s / 3600),
        s if s < 2 * 86_400 => "in 1 day".into(),
        s => format!("in {} days", s / 86_400),
    }
}

/// [`relative`] against the current time.
pub fn when(at: DateTime<Utc>) -> String {
    relative(at, Utc::now())
}

/// A reset moment in local time: "14:20" within the day, "Tue 09:00" within the week,
/// "Tue 1 Dec 09:00" further out, "Tue 28 Dec 2027 13:20" in another year (never a date without
/// the year that could be read as this year's).
pub fn clock(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    clock_in(at, now, &Local)
}

pub fn clock_in<Tz: TimeZone>(at: DateTime<Utc>, now: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let local = at.with_timezone(tz);
    let today = now.with_timezone(tz);
    let ahead = at - now;
    if local.date_naive() == today.date_naive() || (ahead < Duration::hours(12) && ahead > -Duration::hours(12)) {
        local.format("%H:%M").to_string()
    } else if ahead < Duration::days(6) && ahead > -Duration::days(6) {
        local.format("%a %H:%M").to_string()
    } else if local.year() != today.year() && (ahead > Duration::days(60) || ahead < -Duration::days(60)) {
        format!("{} {} {}", local.format("%a"), local.day(), local.format("%b %Y %H:%M"))
    } else {
        format!("{} {} {}", local.format("%a"), local.day(), local.format("%b %H:%M"))
    }
}

/// "resets 14:20 (in 2 h 13 m)", or "reset since" for a window whose reset passed.
pub fn reset_phrase(resets_at: Option<DateTime<Utc>>, reset_since: bool, now: DateTime<Utc>) -> String {
    match resets_at {
        _ if reset_since => "has reset since".into(),
        Some(at) if at > now => format!("resets {} (in {})", clock(at, now), duration(at - now)),
        Some(at) => format!("reset at {}", clock(at, now)),
        None => "reset time unknown".into(),
    }
}

/// Whole percentages that add up: used rounds normally and left is what remains.
pub fn used_and_left(used_percent: f64) -> (u32, u32) {
    let used = if used_percent.is_finite() { used_percent.clamp(0.0, 100.0) } else { 0.0 };
    // 99.6 % used is not "100 % used, 0 left" while the service still allows requests.
    let rounded = if used < 100.0 && used.round() >= 100.0 { 99 } else { used.round() as u32 };
    (rounded, 100 - rounded)
}

/// The line that names whose numbers these are, for the menu and the CLI alike: "Codex · Plus ·
/// dev@example.com", or "account acct-…" when the answer gives no email, or just "Codex".
pub fn heading(snapshot: Option<&crate::model::UsageSnapshot>) -> String {
    let mut parts = vec!["Codex".to_string()];
    if let Some(s) = snapshot {
        parts.extend(s.plan.as_deref().map(plan_name));
        match (&s.account.email, &s.account.account_id) {
            (Some(email), _) => parts.push(email.clone()),
            (None, Some(account)) => parts.push(format!("account {account}")),
            _ => {}
        }
    }
    parts.join(" · ")
}

/// Advice to run Codex, for an account whose login is in another Codex home than the one in
/// use: "run `codex`" becomes "run `CODEX_HOME=… codex`", so the fix refreshes that home's login
/// and not the default one. Unchanged without a command.
pub fn in_home(sentence: &str, codex_command: Option<&str>) -> String {
    match codex_command {
        Some(command) => {
            sentence.replace("`codex login`", &format!("`{command} login`")).replace("`codex`", &format!("`{command}`"))
        }
        None => sentence.to_string(),
    }
}

/// What stops Codex now, in parts so a view can tick the countdown itself: "Blocked by the
/// weekly limit" (lead), when it frees (resets_at), and what else the user can do (tail, which
/// starts with " — " when there is something).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub lead: String,
    pub resets_at: Option<DateTime<Utc>>,
    pub tail: String,
}

pub fn blocked(snapshot: &crate::model::UsageSnapshot) -> Option<Blocked> {
    use crate::model::LimitId;
    let window = snapshot.blocking_window();
    let spends = snapshot.spends_credits();
    let lead = match window {
        Some(w) if w.limit == LimitId::CreditPool => "Your workspace's monthly credit limit is reached".to_string(),
        Some(w) if spends => format!(
            "The {} limit is reached: Codex is using your credits ({})",
            w.length_label(),
            snapshot.credits.as_ref().map(credit_balance).unwrap_or_default()
        ),
        Some(w) => format!("Blocked by the {} limit", w.length_label()),
        None if snapshot.spend_limit_reached() => "Your workspace's monthly credit limit is reached".into(),
        None if snapshot.limit_reached => {
            format!("Codex is blocked ({})", reached_reason(snapshot.limit_reached_reason.as_deref()))
        }
        None => return None,
    };
    let mut ways_on = Vec::new();
    if let Some(reserve) = snapshot.reserve_with_room() {
        ways_on.push(format!("Codex can go on with {}", reserve_note(reserve)));
    }
    // A reset credit resets the plan's limits only: it is no way on past a workspace's limit;
    // and it is offered only once the list names one to use.
    let listed = snapshot.reset_credit_list.as_ref().is_some_and(|l| !l.credits.is_empty());
    if let Some(count) = snapshot.reset_credits.filter(|c| *c > 0 && !spends && listed && snapshot.plan_limit_blocks())
    {
        ways_on.push(format!("{} available: using one resets this limit now", reset_credits(count)));
    }
    let tail = if ways_on.is_empty() { String::new() } else { format!(" — {}", ways_on.join("; ")) };
    Some(Blocked { lead, resets_at: window.and_then(|w| w.resets_at), tail })
}

/// The reserve with what it is for and what is left: "Luna Reserve (Luna only, 76% left)".
pub fn reserve_note(reserve: &crate::model::UsageWindow) -> String {
    let left = used_and_left(reserve.used_percent).1;
    match reserve.only_with() {
        Some(only) => format!("{} ({only}, {left}% left)", crate::model::RESERVE_NAME),
        None => format!("{} ({left}% left)", crate::model::RESERVE_NAME),
    }
}

/// Why the service says Codex is blocked, when no window says so, in words: an unknown reason
/// (the service adds new ones) is a plain "limit reached".
pub fn reached_reason(reason: Option<&str>) -> &'static str {
    match reason {
        Some("workspace_owner_credits_depleted") => "your workspace's credits are used up",
        Some("workspace_member_credits_depleted") => "your credits in this workspace are used up",
        Some("workspace_member_usage_limit_reached") => "your usage limit in this workspace is reached",
        Some("workspace_owner_usage_limit_reached") => "your workspace's usage limit is reached",
        _ => "limit reached",
    }
}

/// A day as people write it: "17 Jul", "17 Jul 2027" in another year (local time).
pub fn date(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    date_in(at, now, &Local)
}

pub fn date_in<Tz: TimeZone>(at: DateTime<Utc>, now: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let local = at.with_timezone(tz);
    if local.year() == now.with_timezone(tz).year() {
        format!("{} {}", local.day(), local.format("%b"))
    } else {
        format!("{} {} {}", local.day(), local.format("%b"), local.year())
    }
}

/// "2 reset credits available — the next expires 17 Jul", for the CLI, the menu and the dashboard.
pub fn reset_credits_line(count: u32, list: Option<&crate::model::ResetCreditList>, now: DateTime<Utc>) -> String {
    format!("{} {}", reset_credits(count), reset_credits_availability(list, now))
}

/// "available — the next expires 17 Jul", or "available" when no credit's expiry is known.
pub fn reset_credits_availability(list: Option<&crate::model::ResetCreditList>, now: DateTime<Utc>) -> String {
    match list.and_then(crate::model::ResetCreditList::next_expires_at) {
        Some(at) => format!("available — the next expires {}", date(at, now)),
        None => "available".into(),
    }
}

/// One banked reset: "Full reset (Weekly + 5 hr) · expires 17 Jul".
pub fn reset_credit_line(credit: &crate::model::ResetCredit, now: DateTime<Utc>) -> String {
    format!("{} · {}", credit.title(), reset_credit_expiry(credit, now))
}

/// "expires 17 Jul", or "does not expire".
pub fn reset_credit_expiry(credit: &crate::model::ResetCredit, now: DateTime<Utc>) -> String {
    match credit.expires_at {
        Some(at) => format!("expires {}", date(at, now)),
        None => "does not expire".into(),
    }
}

/// [`blocked`] as one sentence without its full stop, for the CLI and the tray alike:
/// "Blocked by the weekly limit until Tue 09:00"; `countdown` adds "(in 2 d 3 h)" to the time.
pub fn blocked_sentence(snapshot: &crate::model::UsageSnapshot, now: DateTime<Utc>, countdown: bool) -> Option<String> {
    let Blocked { lead, resets_at, tail } = blocked(snapshot)?;
    let until = match resets_at {
        Some(at) if at > now && countdown => format!(" until {} (in {})", clock(at, now), duration(at - now)),
        Some(at) if at > now => format!(" until {}", clock(at, now)),
        _ => String::new(),
    };
    Some(format!("{lead}{until}{tail}"))
}

/// "balance 9.99", "unlimited": what a credit balance is, in a few words.
pub fn credit_balance(credits: &crate::model::Credits) -> String {
    match credits.balance {
        _ if credits.unlimited => "unlimited".into(),
        Some(balance) => format!("balance {balance:.2}"),
        None => "balance unknown".into(),
    }
}

/// A number of credits as people write it: "1000", "12.5", "0.25".
pub fn amount(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// "1 reset credit", "3 reset credits".
pub fn reset_credits(count: u32) -> String {
    format!("{count} reset credit{}", if count == 1 { "" } else { "s" })
}

/// A plan as Codex's `/status` names it (`codex-rs/tui/src/status/helpers.rs`,
/// `plan_type_display_name`): "plus" → "Plus", "prolite" → "Pro Lite", "promax" → "Pro (Max)" (as
/// Codex named it when it added the plan, openai/codex#47971), "team" → "Business" (ChatGPT Team
/// became Business), the business plans → "Enterprise"; an unknown one in words.
pub fn plan_name(plan: &str) -> String {
    let known = match plan {
        "prolite" => "Pro Lite",
        "promax" => "Pro (Max)",
        "team" | "self_serve_business_usage_based" => "Business",
        "self_serve_business_prolite" => "Business Premium",
        "business" | "enterprise" | "hc" | "ent26" | "enterprise_cbp_usage_based" => "Enterprise",
        "enterprise_cbp_automation" => "Enterprise (Automation)",
        "edu" | "education" => "Edu",
        "edu_plus" => "Edu Plus",
        "edu_pro" => "Edu Pro",
        "free_workspace" => "Free workspace",
        "k12" => "K-12",
        other => return capitalise(&other.replace('_', " ")),
    };
    known.to_string()
}

/// A text bar `width` cells wide, filled by `fraction` (0–1).
pub fn bar(fraction: f64, width: usize) -> String {
    let fraction = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
    let filled = (fraction * width as f64).round() as usize;
    let mut text = "█".repeat(filled);
    text.push_str(&"░".repeat(width - filled));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn the_heading_names_the_plan_and_whose_numbers_these_are() {
        use crate::model::{Account, SourceKind, UsageSnapshot};
        let snapshot = |email: Option<&str>, account: Option<&str>| UsageSnapshot {
            plan: Some("plus".into()),
            account: Account {
                email: email.map(Into::into),
                account_id: account.map(Into::into),
                ..Default::default()
            },
            windows: Vec::new(),
            credits: None,
            limit_reached: false,
            limit_reached_reason: None,
            spend_control: None,
            reset_credits: None,
            unreadable: Vec::new(),
            switched_off: Vec::new(),
            reset_credit_list: None,
            observed_at: Utc::now(),
            source: SourceKind::Api,
        };
        assert_eq!(heading(Some(&snapshot(Some("dev@example.com"), Some("acct-1")))), "Codex · Plus · dev@example.com");
        assert_eq!(heading(Some(&snapshot(None, Some("acct-1")))), "Codex · Plus · account acct-1");
        assert_eq!(heading(None), "Codex");
    }

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, h, m, 0).unwrap()
    }

    #[test]
    fn plans_read_as_people_name_them() {
        let names: Vec<String> = [
            "plus",
            "prolite",
            "promax",
            "team",
            "self_serve_business_usage_based",
            "self_serve_business_prolite",
            "business",
            "ent26",
            "hc",
            "enterprise_cbp_automation",
            "edu_plus",
            "free_workspace",
            "k12",
            "galaxy_brain",
        ]
        .map(plan_name)
        .into();
        assert_eq!(
            names,
            [
                "Plus",
                "Pro Lite",
                "Pro (Max)",
                "Business",
                "Business",
                "Business Premium",
                "Enterprise",
                "Enterprise",
                "Enterprise",
                "Enterprise (Automation)",
                "Edu Plus",
                "Free workspace",
                "K-12",
                "Galaxy brain"
            ]
        );
        assert_eq!(amount(1000.0), "1000");
        assert_eq!(amount(12.5), "12.5");
        assert_eq!(amount(0.25), "0.25");
        assert_eq!(reset_credits(1), "1 reset credit");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(Duration::minutes(133)), "2 h 13 m");
        assert_eq!(duration(Duration::hours(108)), "4 d 12 h");
        assert_eq!(duration(Duration::days(2)), "2 d");
        assert_eq!(duration(Duration::minutes(13)), "13 m");
        assert_eq!(duration(Duration::hours(3)), "3 h");
        assert_eq!(duration(Duration::seconds(45)), "45 s");
        assert_eq!(duration(Duration::seconds(-5)), "0 s");
    }

    #[test]
    fn ages_and_relative_times() {
        assert_eq!(age(t(10, 0), t(10, 0)), "just now");
        assert_eq!(age(t(10, 0), t(10, 2)), "2 min ago");
        assert_eq!(age(t(7, 0), t(10, 30)), "3 h ago");
        assert_eq!(age(t(10, 0) - Duration::days(3), t(10, 0)), "3 days ago");
        assert_eq!(relative(t(10, 0) + Duration::days(2) + Duration::hours(1), t(10, 0)), "in 2 days");
        assert_eq!(relative(t(15, 30), t(10, 0)), "in 5 hours");
        assert_eq!(relative(t(10, 20), t(10, 0)), "in 20 min");
    }

    #[test]
    fn clocks_in_local_time() {
        let cet = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(clock_in(t(13, 20), t(11, 7), &cet), "14:20");
        // 2026-11-24 is a Tuesday.
        assert_eq!(clock_in(t(8, 0) + Duration::days(2), t(11, 0), &cet), "Tue 09:00");
        assert_eq!(clock_in(t(8, 0) + Duration::days(9), t(11, 0), &cet), "Tue 1 Dec 09:00");
        // Another year, far off: with its year.
        assert_eq!(clock_in(t(8, 0) + Duration::days(400), t(11, 0), &cet), "Mon 27 Dec 2027 09:00");
        assert_eq!(
            clock_in(Utc.with_ymd_and_hms(2001, 9, 9, 1, 46, 40).unwrap(), t(11, 0), &cet),
            "Sun 9 Sep 2001 02:46"
        );
        // Just after midnight tomorrow, within 12 hours: the time alone is clear enough.
        assert_eq!(clock_in(t(23, 30), t(20, 0), &cet), "00:30");
    }

    #[test]
    fn reset_phrases() {
        assert_eq!(reset_phrase(Some(t(12, 0)), false, t(10, 0)).split(" (").nth(1), Some("in 2 h)"));
        assert_eq!(reset_phrase(None, true, t(10, 0)), "has reset since");
        assert_eq!(reset_phrase(None, false, t(10, 0)), "reset time unknown");
    }

    #[test]
    fn percentages_add_up_and_never_claim_a_false_100() {
        assert_eq!(used_and_left(42.0), (42, 58));
        assert_eq!(used_and_left(61.5), (62, 38));
        assert_eq!(used_and_left(99.6), (99, 1));
        assert_eq!(used_and_left(100.0), (100, 0));
        assert_eq!(used_and_left(130.0), (100, 0));
        assert_eq!(used_and_left(-3.0), (0, 100));
        assert_eq!(used_and_left(f64::NAN), (0, 100));
    }

    #[test]
    fn bars() {
        assert_eq!(bar(0.5, 10), "█████░░░░░");
        assert_eq!(bar(0.0, 4), "░░░░");
        assert_eq!(bar(2.0, 4), "████");
    }

    #[test]
    fn advice_to_run_codex_names_the_accounts_home() {
        let command = Some("CODEX_HOME=/home/dev/.codex-work codex");
        assert_eq!(
            in_home("The usage service rejected Codex's login file (HTTP 401): run `codex` to refresh your login.", command),
            "The usage service rejected Codex's login file (HTTP 401): run `CODEX_HOME=/home/dev/.codex-work codex` to refresh your login."
        );
        assert_eq!(
            in_home("Login damaged — run `codex login`", command),
            "Login damaged — run `CODEX_HOME=/home/dev/.codex-work codex login`"
        );
        assert_eq!(in_home("run `codex`", None), "run `codex`");
    }
}

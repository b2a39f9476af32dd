//! The history store on a real SQLite file: retention, thinning, backfill, the cycle query.

use chrono::{DateTime, Duration, TimeZone, Utc};
use headroom_core::history::History;
use headroom_core::model::{AccountKey, LimitId, SourceKind, UsageSnapshot, UsageWindow, WindowKind};

fn acct(name: &str) -> AccountKey {
    AccountKey::from_stored(name)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

fn snapshot(at: DateTime<Utc>, five: f64, reset: DateTime<Utc>) -> UsageSnapshot {
    headroom_testkit::snapshot::plus(vec![UsageWindow::main(WindowKind::FiveHour, five, Some(reset))], at)
}

#[test]
fn old_rows_expire_and_week_old_rows_are_thinned_to_the_highest_per_hour() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite3")).unwrap();
    let reset = now() + Duration::hours(2);
    // 200 days ago: expired. 10 days ago: twelve samples within one hour, highest 77 %.
    history.record(&snapshot(now() - Duration::days(200), 5.0, reset), &acct("acct-1")).unwrap();
    let hour = Utc.with_ymd_and_hms(2026, 11, 12, 9, 0, 0).unwrap();
    for i in 0..12 {
        let used = if i == 7 { 77.0 } else { 10.0 + f64::from(i) };
        history.record(&snapshot(hour + Duration::minutes(5 * i64::from(i)), used, reset), &acct("acct-1")).unwrap();
    }
    // Yesterday: kept in full.
    for i in 0..3 {
        history
            .record(&snapshot(now() - Duration::days(1) + Duration::minutes(i), 40.0, reset), &acct("acct-1"))
            .unwrap();
    }
    assert_eq!(history.count(), 16);
    assert_eq!(history.prune(now()).unwrap(), 12);
    let left = history.since(DateTime::UNIX_EPOCH).unwrap();
    assert_eq!(left.len(), 4);
    assert_eq!(left[0].used_percent, 77.0, "the hour keeps its highest sample");
    assert_eq!(left[0].at, hour + Duration::minutes(35));
    // Recording the same moment twice stores it once.
    assert_eq!(history.record(&snapshot(left[3].at, 40.0, reset), &acct("acct-1")).unwrap(), 0);
}

#[test]
fn backfill_reads_rate_limits_from_the_session_logs_once() {
    let dir = tempfile::tempdir().unwrap();
    let sessions = dir.path().join("sessions");
    let spec = headroom_testkit::history::HistorySpec {
        files: 20,
        total_bytes: 400_000,
        days: 14,
        end_unix: now().timestamp(),
        seed: 3,
    };
    headroom_testkit::history::generate(&sessions, &spec).unwrap();
    let mut history = History::open(&dir.path().join("h.sqlite3")).unwrap();
    assert!(history.is_empty());
    let added = history.backfill_from_logs(&sessions, &acct("acct-1"), now()).unwrap();
    assert!(added > 20, "{added} rows from 20 files");
    assert_eq!(history.count(), added);
    assert_eq!(history.backfill_from_logs(&sessions, &acct("acct-1"), now()).unwrap(), 0, "nothing twice");
    let rows = history.since(now() - Duration::days(15)).unwrap();
    assert!(rows.iter().all(|r| r.source == SourceKind::SessionLog && r.account == acct("acct-1")));
    assert!(
        rows.iter().any(|r| r.window == WindowKind::FiveHour) && rows.iter().any(|r| r.window == WindowKind::Weekly)
    );
}

#[test]
fn a_cycle_is_the_samples_with_its_reset_time_give_or_take_jitter() {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open(&dir.path().join("h.sqlite3")).unwrap();
    let reset = now() + Duration::hours(2);
    history.record(&snapshot(now() - Duration::hours(6), 90.0, reset - Duration::hours(5)), &acct("acct-1")).unwrap();
    history
        .record(&snapshot(now() - Duration::hours(2), 10.0, reset + Duration::seconds(40)), &acct("acct-1"))
        .unwrap();
    history
        .record(&snapshot(now() - Duration::hours(1), 30.0, reset - Duration::seconds(70)), &acct("acct-1"))
        .unwrap();
    history.record(&snapshot(now() - Duration::hours(1), 99.0, reset), &acct("someone-else")).unwrap();
    let cycle = history.cycle(&acct("acct-1"), &LimitId::Codex, WindowKind::FiveHour, reset);
    assert_eq!(cycle.iter().map(|(_, u)| *u).collect::<Vec<_>>(), [10.0, 30.0]);
}

#[test]
fn a_damaged_file_is_set_aside_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    std::fs::write(&path, vec![0xA5u8; 8192]).unwrap();
    let history = History::open(&path).unwrap();
    assert!(history.notice.as_deref().unwrap().contains("set aside as"));
    assert!(history.is_empty());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().any(|n| n.starts_with("h.sqlite3.damaged-")), "{names:?}");
    // Opened again, all is well and nothing more is said.
    drop(history);
    assert!(History::open(&path).unwrap().notice.is_none());
}

#[cfg(unix)]
#[test]
fn the_history_is_private_to_the_user_and_a_damaged_ones_log_is_kept_beside_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    drop(History::open(&path).unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "created {mode:o}, like every other file Headroom keeps");
    // One an earlier version left readable by others is made private when next opened.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(History::open(&path).unwrap());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "an old 0644 history");

    let damaged = dir.path().join("h.sqlite3");
    std::fs::write(&damaged, vec![0xA5u8; 8192]).unwrap();
    std::fs::write(dir.path().join("h.sqlite3-wal"), b"the newest rows").unwrap();
    let history = History::open(&damaged).unwrap();
    assert!(history.notice.is_some());
    let aside: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains(".damaged-") && p.to_string_lossy().ends_with("-wal"))
        .collect();
    assert_eq!(aside.len(), 1, "the log went with the damaged copy");
    assert_eq!(std::fs::read(&aside[0]).unwrap(), b"the newest rows");
    assert_eq!(std::fs::metadata(&damaged).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn rows_kept_for_a_workspace_alone_go_to_its_person_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let reset = now() + Duration::hours(2);
    let sessions = dir.path().join("no-sessions");
    let person = |at: DateTime<Utc>, five: f64| {
        let mut s = snapshot(at, five, reset);
        s.account.user_id = Some("user-me".into());
        s
    };
    let me = acct("acct-1/user-me");
    for carry_over in [false, true] {
        let path = dir.path().join(format!("h-{carry_over}.sqlite3"));
        let mut history = History::open(&path).unwrap();
        // As an earlier version kept it: the workspace alone.
        history.record(&snapshot(now() - Duration::hours(1), 20.0, reset), &acct("acct-1")).unwrap();
        headroom_core::history::observe(&mut history, &person(now(), 30.0), &sessions, carry_over, now());
        let mine = history.cycle(&me, &LimitId::Codex, WindowKind::FiveHour, reset);
        let kept = history.cycle(&acct("acct-1"), &LimitId::Codex, WindowKind::FiveHour, reset);
        if carry_over {
            assert_eq!((mine.len(), kept.len()), (2, 0), "the one watched person of the workspace takes its rows");
        } else {
            assert_eq!((mine.len(), kept.len()), (1, 1), "another person may be watched in it: nothing moves");
        }
    }
}

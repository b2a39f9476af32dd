//! Codex's session logs: a single line gives rate limits or nothing, never a panic; a whole
//! rollout read forwards gives each snapshot to its bucket, and no weekly-only plan-tagged line of
//! a reserve turn (`gpt-reserve`) is ever the plan's; and the token counter reads a file appended in two
//! steps exactly as it reads it whole (its cache relies on that when `codex resume` appends to a
//! rollout).
#![no_main]
use headroom_core::model::LimitId;
use headroom_core::sources::session_log::{classify_line, snapshots_in, LogLine};
use headroom_core::tokens::usage::FileUsage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&[u8], u16)| {
    let (data, split) = input;
    let _ = headroom_core::sources::session_log::parse_line(data);

    // Attribution: on a reserve turn, a plan-tagged line without a model of its own is the reserve's.
    let mut turn: Option<String> = None;
    let mut expected_plan = 0usize;
    for line in data.split(|b| *b == b'\n') {
        match classify_line(line) {
            LogLine::TurnModel(model) => turn = Some(model),
            LogLine::Usage(snapshot, own) => {
                let model = own.or_else(|| turn.clone());
                let plan = snapshot.windows.first().is_some_and(|w| matches!(w.limit, LimitId::Codex | LimitId::CreditPool));
                let weekly_only = snapshot.windows.iter().all(|w| w.limit == LimitId::Codex && w.kind == headroom_core::WindowKind::Weekly);
                if plan && (model.as_deref() != Some("gpt-reserve") || !weekly_only) {
                    expected_plan += 1;
                }
            }
            LogLine::Other => {}
        }
    }
    let plan = snapshots_in(data)
        .filter(|s| s.windows.first().is_some_and(|w| matches!(w.limit, LimitId::Codex | LimitId::CreditPool)))
        .count();
    assert_eq!(plan, expected_plan);

    let whole = FileUsage::default().scan(data);
    let split = usize::from(split) % (data.len() + 1);
    let mut appended = FileUsage::default();
    let _ = appended.scan(&data[..split]);
    let after_append = appended.scan(data);
    assert_eq!(whole, after_append, "split at {split}");
});

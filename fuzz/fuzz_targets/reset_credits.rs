//! The list of banked reset credits and the answer to using one: any bytes give a list, an outcome
//! or a typed error, never a panic; a list holds only credits with an id, soonest to expire
//! first, none already expired; and every view of an account holding them takes them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let _ = headroom_core::sources::reset_credits::parse_outcome(data);
    let Ok(list) = headroom_core::sources::reset_credits::parse_list(data, now) else { return };
    assert!(list.credits.iter().all(|c| !c.id.trim().is_empty()));
    assert!(list.credits.iter().all(|c| c.expires_at.is_none_or(|at| at > now)));
    let expiries: Vec<_> = list.credits.iter().map(|c| (c.expires_at.is_none(), c.expires_at)).collect();
    assert!(expiries.windows(2).all(|w| w[0] <= w[1]), "soonest first");
    let body = br#"{"plan_type":"plus","rate_limit":{"allowed":false,"primary_window":{"used_percent":100,"limit_window_seconds":18000}},"rate_limit_reset_credits":{"available_count":3}}"#;
    let mut snapshot = headroom_core::sources::usage_body::parse_usage_body(body, now).unwrap();
    snapshot.reset_credit_list = Some(list);
    let settings = headroom_core::settings::Settings::default();
    let _ = headroom_core::present::dashboard_view::dashboard_view(Some(&snapshot), &[], None, &settings, now);
    let _ = headroom_core::humanize::blocked_sentence(&snapshot, now, true);
    if let Ok(credit) = headroom_core::present::reset_credit::pick(&snapshot, None) {
        let _ = headroom_core::present::reset_credit::question(credit, Some("me@example.com"), now);
    }
    let mut engine = headroom_core::alerts::engine::AlertEngine::new(Default::default());
    let account = headroom_core::model::AccountKey::from_stored("acct");
    let _ = engine.reset_credit_expiry(&snapshot, &account, &settings, Default::default(), now);
});

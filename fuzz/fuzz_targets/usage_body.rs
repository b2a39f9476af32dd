//! The usage endpoint's body: any bytes give a snapshot or a typed error, never a panic; a
//! snapshot's percentages are percentages.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    if let Ok(snapshot) = headroom_core::usage_body::parse_usage_body(data, now) {
        for window in &snapshot.windows {
            assert!((0.0..=100.0).contains(&window.used_percent), "{window:?}");
        }
    }
});

//! settings.toml: any text gives settings (with problems named) and never a panic; what Headroom
//! writes back reads back as the same settings, with no problems.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (settings, _problems) = headroom_core::settings::parse(text);
    let written = headroom_core::settings_edit::new_file(&settings);
    let (again, problems) = headroom_core::settings::parse(&written);
    assert!(problems.is_empty(), "{problems:?} in\n{written}");
    assert_eq!(settings, again, "\n{written}");
});

//! The small types that cross from the core to the crates that only draw: what the tray icon
//! shows and how close each window is to its limit. They live apart from `headroom-core` so
//! the icon (and its golden tests) builds without HTTP, SQLite or the keychain.

/// How close a window is to its limit, by the user's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Level {
    Plenty,
    GettingLow,
    NearlyOut,
    Blocked,
}

/// One bar of the icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IconBar {
    /// How much of the bar is filled, in whole percent: what is left, or what is used.
    pub fill: u8,
    pub level: Level,
}

/// Everything the icon depends on; equal states draw equal icons, so this is the cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IconState {
    /// The 5-hour window on top and the weekly one below; one bar when the plan has one window.
    pub bars: Vec<IconBar>,
    /// The numbers are stale or the last refresh failed.
    pub dimmed: bool,
    pub limit_reached: bool,
    /// Codex runs on the fallback API key.
    pub on_api_key: bool,
}

//! The colour icon must read on light and dark taskbars and panels alike (Windows 11's light and
//! dark taskbars, GNOME's dark top bar, a light KDE panel): every bar colour keeps at least the
//! 3:1 contrast WCAG asks of graphics against both. Each case composites the real drawing over
//! the background and measures the middle of the bar as a person would see it.

use headroom_icon::{render, Style};
use headroom_types::{IconBar, IconState, Level};

const LIGHT_TASKBAR: [u8; 3] = [0xF3, 0xF3, 0xF3];
const DARK_TASKBAR: [u8; 3] = [0x20, 0x20, 0x20];

fn luminance([r, g, b]: [f64; 3]) -> f64 {
    let linear = |c: f64| if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// The pixel at (x, y) of `state` drawn at 32 px, composited over `background`.
fn seen(state: &IconState, x: u32, y: u32, background: [u8; 3]) -> [f64; 3] {
    let icon = render(state, 32, Style::Colour);
    let i = ((y * icon.size + x) * 4) as usize;
    let alpha = f64::from(icon.rgba[i + 3]) / 255.0;
    let mut out = [0.0; 3];
    for c in 0..3 {
        out[c] = (f64::from(icon.rgba[i + c]) * alpha + f64::from(background[c]) * (1.0 - alpha)) / 255.0;
    }
    out
}

fn rgb(c: [u8; 3]) -> [f64; 3] {
    c.map(|v| f64::from(v) / 255.0)
}

/// The middle of the top bar, full, in one level's colour (and dimmed when stale).
fn bar_middle(level: Level, dimmed: bool) -> IconState {
    IconState { bars: vec![IconBar { fill: 100, level }], dimmed, limit_reached: false, on_api_key: false }
}

#[test]
fn every_bar_colour_reads_on_light_and_dark_taskbars() {
    let mut failures = Vec::new();
    let cases = [
        ("plenty", bar_middle(Level::Plenty, false)),
        ("getting low", bar_middle(Level::GettingLow, false)),
        ("nearly out", bar_middle(Level::NearlyOut, false)),
        ("blocked", bar_middle(Level::Blocked, false)),
        ("stale", bar_middle(Level::Plenty, true)),
    ];
    for (name, state) in &cases {
        for (taskbar, background) in [("light", LIGHT_TASKBAR), ("dark", DARK_TASKBAR)] {
            let ratio = contrast(seen(state, 16, 16, background), rgb(background));
            if ratio < 3.0 {
                failures.push(format!("{name} on the {taskbar} taskbar: {ratio:.2}:1"));
            }
        }
    }
    assert!(failures.is_empty(), "below 3:1: {failures:?}");
}

#[test]
fn a_reached_limit_badge_reads_on_light_and_dark_taskbars() {
    let state = IconState {
        bars: vec![IconBar { fill: 0, level: Level::Blocked }],
        dimmed: false,
        limit_reached: true,
        on_api_key: false,
    };
    for background in [LIGHT_TASKBAR, DARK_TASKBAR] {
        // A corner of the badge, outside the bar.
        let ratio = contrast(seen(&state, 3, 3, background), rgb(background));
        assert!(ratio >= 3.0, "badge at {ratio:.2}:1 on {background:?}");
    }
}

/// At 1 % and 3 % left the fill is a pixel or two wide: the level must still be seen along the
/// whole bar (in its far half, 3:1 against the taskbar) on light and dark taskbars, at every
/// size. Before the fix the far half was the grey track: "nearly out" read as an empty bar.
#[test]
fn a_low_bar_shows_its_level_along_its_whole_length_at_any_fill() {
    let mut failures = Vec::new();
    for level in [Level::GettingLow, Level::NearlyOut] {
        for fill in [1, 3] {
            let state = IconState {
                bars: vec![IconBar { fill, level }],
                dimmed: false,
                limit_reached: false,
                on_api_key: false,
            };
            for size in [16, 22, 24, 32] {
                let icon = render(&state, size, Style::Colour);
                for (taskbar, background) in [("light", LIGHT_TASKBAR), ("dark", DARK_TASKBAR)] {
                    // The bar's far half (the fill is at its near end): its clearest warm pixel.
                    let best = (0..size)
                        .flat_map(|y| (size / 2..size).map(move |x| (x, y)))
                        .map(|(x, y)| composite(&icon, x, y, background))
                        .filter(|c| c[0] > c[2] + 0.2)
                        .map(|c| contrast(c, rgb(background)))
                        .fold(0.0, f64::max);
                    if best < 3.0 {
                        failures.push(format!("{level:?} {fill}% at {size} px on {taskbar}: best {best:.2}:1"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "the level is not seen: {failures:#?}");
}

fn composite(icon: &headroom_icon::Rendered, x: u32, y: u32, background: [u8; 3]) -> [f64; 3] {
    let i = ((y * icon.size + x) * 4) as usize;
    let alpha = f64::from(icon.rgba[i + 3]) / 255.0;
    let mut out = [0.0; 3];
    for c in 0..3 {
        out[c] = (f64::from(icon.rgba[i + c]) * alpha + f64::from(background[c]) * (1.0 - alpha)) / 255.0;
    }
    out
}

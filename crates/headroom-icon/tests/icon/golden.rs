//! Golden images of the icon's main states, checked into tests/golden/ and compared pixel by
//! pixel (within 2 levels per channel). `UPDATE_GOLDENS=1 cargo test -p headroom-icon` rewrites
//! them; look at them before committing (`tests/golden/sheet.png` shows all at 8×).

use headroom_icon::{render, IconCache, Rendered, Style};
use headroom_types::{IconBar, IconState, Level};
use tiny_skia::Pixmap;

fn state(bars: &[(u8, Level)], dimmed: bool, limit_reached: bool, on_api_key: bool) -> IconState {
    IconState {
        bars: bars.iter().map(|(fill, level)| IconBar { fill: *fill, level: *level }).collect(),
        dimmed,
        limit_reached,
        on_api_key,
    }
}

fn cases() -> Vec<(&'static str, IconState, Style)> {
    use Level::*;
    vec![
        ("plenty", state(&[(58, Plenty), (83, Plenty)], false, false, false), Style::Colour),
        ("getting-low", state(&[(15, GettingLow), (60, Plenty)], false, false, false), Style::Colour),
        ("nearly-out", state(&[(3, NearlyOut), (40, Plenty)], false, false, false), Style::Colour),
        ("blocked-weekly", state(&[(97, Plenty), (0, Blocked)], false, true, false), Style::Colour),
        ("stale", state(&[(58, Plenty), (83, Plenty)], true, false, false), Style::Colour),
        ("weekly-only", state(&[(92, Plenty)], false, false, false), Style::Colour),
        ("on-api-key", state(&[(0, Blocked), (30, Plenty)], false, true, true), Style::Colour),
        ("template", state(&[(58, Plenty), (83, Plenty)], false, false, false), Style::Template),
        ("template-blocked", state(&[(97, Plenty), (0, Blocked)], false, true, false), Style::Template),
    ]
}

const SIZES: [u32; 4] = [16, 22, 24, 32];

fn golden_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn decode(png: &[u8]) -> Rendered {
    let pixmap = Pixmap::decode_png(png).expect("a golden PNG");
    let rgba = pixmap.pixels().iter().flat_map(|p| {
        let c = p.demultiply();
        [c.red(), c.green(), c.blue(), c.alpha()]
    });
    Rendered { size: pixmap.width(), rgba: rgba.collect() }
}

#[test]
fn icons_match_their_golden_images() {
    let update = std::env::var("UPDATE_GOLDENS").as_deref() == Ok("1");
    let mut mismatches = Vec::new();
    let mut sheet = Vec::new();
    for (name, state, style) in cases() {
        for size in SIZES {
            let drawn = render(&state, size, style);
            let path = golden_dir().join(format!("{name}-{size}.png"));
            if update {
                std::fs::write(&path, drawn.to_png()).unwrap();
            }
            let golden = decode(
                &std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDENS=1 creates it)", path.display())),
            );
            // Round-trip through PNG as the golden did, then compare.
            let drawn = decode(&drawn.to_png());
            let worst = drawn.rgba.iter().zip(&golden.rgba).map(|(a, b)| a.abs_diff(*b)).max().unwrap_or(255);
            if golden.size != drawn.size || worst > 2 {
                mismatches.push(format!("{name}-{size} (worst channel difference {worst})"));
            }
            sheet.push((drawn, size));
        }
    }
    if update {
        write_sheet(&sheet);
    }
    assert!(mismatches.is_empty(), "icons differ from their goldens: {mismatches:?}");
}

/// All states side by side at 8×, for a person to look at.
fn write_sheet(icons: &[(Rendered, u32)]) {
    let scale = 8;
    let cell = 32 * scale + 16;
    let columns = SIZES.len() as u32;
    let rows = (icons.len() as u32).div_ceil(columns);
    let mut sheet = Pixmap::new(columns * cell, rows * cell).unwrap();
    sheet.fill(tiny_skia::Color::from_rgba8(60, 60, 60, 255));
    for (i, (icon, size)) in icons.iter().enumerate() {
        let (cx, cy) = ((i as u32 % columns) * cell + 8, (i as u32 / columns) * cell + 8);
        for y in 0..*size {
            for x in 0..*size {
                let o = ((y * size + x) * 4) as usize;
                let c =
                    tiny_skia::ColorU8::from_rgba(icon.rgba[o], icon.rgba[o + 1], icon.rgba[o + 2], icon.rgba[o + 3]);
                let mut paint = tiny_skia::Paint::default();
                paint.set_color_rgba8(c.red(), c.green(), c.blue(), c.alpha());
                let rect = tiny_skia::Rect::from_xywh(
                    (cx + x * scale) as f32,
                    (cy + y * scale) as f32,
                    scale as f32,
                    scale as f32,
                )
                .unwrap();
                sheet.fill_rect(rect, &paint, tiny_skia::Transform::identity(), None);
            }
        }
    }
    sheet.save_png(golden_dir().join("sheet.png")).unwrap();
}

#[test]
fn states_that_differ_draw_differently() {
    let a = render(&cases()[0].1, 22, Style::Colour);
    for (name, state, style) in cases().into_iter().skip(1) {
        assert_ne!(render(&state, 22, style), a, "{name} looks like the plain state");
    }
    // 1 % more left must show at 32 px at least somewhere once the fill crosses a pixel.
    let less = state(&[(50, Level::Plenty), (83, Level::Plenty)], false, false, false);
    assert_ne!(render(&less, 32, Style::Colour), render(&cases()[0].1, 32, Style::Colour));
}

#[test]
fn the_cache_redraws_only_on_change() {
    let mut cache = IconCache::default();
    let (_, plenty, _) = cases().remove(0);
    assert!(cache.update(&plenty, 22, Style::Colour).is_some());
    assert!(cache.update(&plenty, 22, Style::Colour).is_none());
    assert!(cache.update(&plenty, 32, Style::Colour).is_some(), "another size");
    let mut dimmed = plenty.clone();
    dimmed.dimmed = true;
    assert!(cache.update(&dimmed, 32, Style::Colour).is_some());
}

#[test]
fn template_images_are_black_and_alpha_only() {
    for (name, state, style) in cases() {
        if style != Style::Template {
            continue;
        }
        let icon = render(&state, 22, style);
        assert!(icon.rgba.chunks(4).all(|p| p[3] == 0 || (p[0], p[1], p[2]) == (0, 0, 0)), "{name}");
    }
}

//! Draws Headroom's tray icon from the numbers: two horizontal bars, the 5-hour window on top
//! and the weekly one below, filled by what is left (or used). Coloured by level on Linux and
//! Windows (a bar getting low or nearly out is outlined in its level's colour, so the warning
//! reads at any fill), a monochrome template image on macOS; dimmed when the numbers are stale; a red
//! badge when a limit is reached; a dot when Codex runs on the fallback API key.
//!
//! Geometry snaps to whole pixels at every size, so the bars stay crisp at 16, 22, 24 and 32 px.

use headroom_types::{IconState, Level};
use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

/// Colour icons for Linux and Windows; a template (black and alpha only) for macOS's menu bar,
/// which recolours it for light and dark mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Colour,
    Template,
}

/// A drawn icon: `size`×`size` RGBA, straight (not premultiplied) alpha, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub size: u32,
    pub rgba: Vec<u8>,
}

impl Rendered {
    pub fn to_png(&self) -> Vec<u8> {
        let mut pixmap = Pixmap::new(self.size, self.size).expect("icon sizes are non-zero");
        for (pixel, rgba) in pixmap.pixels_mut().iter_mut().zip(self.rgba.chunks_exact(4)) {
            *pixel = tiny_skia::ColorU8::from_rgba(rgba[0], rgba[1], rgba[2], rgba[3]).premultiply();
        }
        pixmap.encode_png().expect("encoding an in-memory PNG")
    }
}

fn rgb(hex: u32, alpha: f32) -> Color {
    let [_, r, g, b] = hex.to_be_bytes();
    Color::from_rgba8(r, g, b, (alpha * 255.0).round() as u8)
}

/// Every colour keeps 3:1 contrast against light (#F3F3F3) and dark (#202020) taskbars and panels
/// (tests/icon/taskbar_contrast.rs), so the icon reads on Windows' and Linux desktops' either theme.
fn level_colour(level: Level) -> u32 {
    match level {
        Level::Plenty => 0x2C974B,
        Level::GettingLow => 0xA87B00,
        Level::NearlyOut => 0xE8590C,
        Level::Blocked => 0xCF222E,
    }
}

const BADGE_RED: u32 = 0xCF222E;
const DIM_GREY: u32 = 0x6E7781;
const TRACK_GREY: u32 = 0x8C959F;
const API_KEY_BLUE: u32 = 0x218BFF;

fn paint(colour: Color) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color(colour);
    paint.anti_alias = true;
    paint
}

fn rounded_rect(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<tiny_skia::Path> {
    let r = r.min(w / 2.0).min(h / 2.0);
    let mut pb = PathBuilder::new();
    if r <= 0.0 {
        pb.push_rect(Rect::from_xywh(x, y, w, h)?);
        return pb.finish();
    }
    pb.move_to(x + r, y);
    pb.line_to(x + w - r, y);
    pb.quad_to(x + w, y, x + w, y + r);
    pb.line_to(x + w, y + h - r);
    pb.quad_to(x + w, y + h, x + w - r, y + h);
    pb.line_to(x + r, y + h);
    pb.quad_to(x, y + h, x, y + h - r);
    pb.line_to(x, y + r);
    pb.quad_to(x, y, x + r, y);
    pb.close();
    pb.finish()
}

fn fill(pixmap: &mut Pixmap, path: Option<tiny_skia::Path>, colour: Color) {
    if let Some(path) = path {
        pixmap.fill_path(&path, &paint(colour), FillRule::Winding, Transform::identity(), None);
    }
}

/// A 1 px line just inside the rounded rectangle, crisp on the pixel grid.
fn outline(pixmap: &mut Pixmap, x: f32, y: f32, w: f32, h: f32, r: f32, colour: Color) {
    if let Some(path) = rounded_rect(x + 0.5, y + 0.5, w - 1.0, h - 1.0, (r - 0.5).max(0.0)) {
        let stroke = tiny_skia::Stroke { width: 1.0, ..tiny_skia::Stroke::default() };
        pixmap.stroke_path(&path, &paint(colour), &stroke, Transform::identity(), None);
    }
}

/// Draws `state` at `size` pixels square.
pub fn render(state: &IconState, size: u32, style: Style) -> Rendered {
    let size = size.max(8);
    let mut pixmap = Pixmap::new(size, size).expect("icon sizes are non-zero");
    let s = size as f32;
    let dim = if state.dimmed { 0.55 } else { 1.0 };

    // A limit reached turns the whole icon into a badge: impossible to miss at 16 px.
    let badge = state.limit_reached;
    if badge {
        let colour = match style {
            Style::Colour => rgb(BADGE_RED, dim),
            Style::Template => rgb(0x000000, dim),
        };
        fill(&mut pixmap, rounded_rect(0.0, 0.0, s, s, (s / 5.0).round()), colour);
    }

    let margin = (s / 16.0).round().max(1.0) + if badge { (s / 10.0).round() } else { 0.0 };
    let width = s - 2.0 * margin;
    let bars = state.bars.len().clamp(1, 2);
    let bar_height = if bars == 2 { (s * 0.28).round() } else { (s * 0.36).round() }.max(3.0);
    let gap = if bars == 2 { (s / 8.0).round().max(2.0) } else { 0.0 };
    let total = bar_height * bars as f32 + gap * (bars as f32 - 1.0);
    let top = ((s - total) / 2.0).floor();
    let radius = (bar_height / 2.0).floor().min(3.0);

    let empty = [headroom_types::IconBar { fill: 0, level: Level::Plenty }];
    let bar_specs = if state.bars.is_empty() { &empty[..] } else { &state.bars[..state.bars.len().min(2)] };
    for (i, bar) in bar_specs.iter().enumerate() {
        let y = top + i as f32 * (bar_height + gap);
        let (track, filled) = match (style, badge) {
            (Style::Colour, false) => (
                rgb(TRACK_GREY, 0.40 * dim),
                if state.dimmed { rgb(DIM_GREY, 0.9) } else { rgb(level_colour(bar.level), 1.0) },
            ),
            (Style::Colour, true) => (rgb(0xFFFFFF, 0.40), rgb(0xFFFFFF, dim.max(0.8))),
            (Style::Template, false) => (rgb(0x000000, 0.30 * dim), rgb(0x000000, dim)),
            (Style::Template, true) => (rgb(0xFFFFFF, 0.45), rgb(0xFFFFFF, 1.0)),
        };
        fill(&mut pixmap, rounded_rect(margin, y, width, bar_height, radius), track);
        // Low and critical levels colour the whole bar's outline: at 3 % left the fill is one
        // pixel wide, and a grey bar with a 1 px sliver read as "empty", not "nearly out" (KDE and
        // XFCE show no "%" beside the icon).
        if let (Style::Colour, false, false, Level::GettingLow | Level::NearlyOut | Level::Blocked) =
            (style, badge, state.dimmed, bar.level)
        {
            outline(&mut pixmap, margin, y, width, bar_height, radius, rgb(level_colour(bar.level), 1.0));
        }
        let fill_width = (width * f32::from(bar.fill.min(100)) / 100.0).round();
        let fill_width = if bar.fill > 0 { fill_width.max(1.0) } else { 0.0 };
        if fill_width > 0.0 {
            fill(&mut pixmap, rounded_rect(margin, y, fill_width, bar_height, radius), filled);
        }
    }
    if style == Style::Template && badge {
        // Template images carry meaning in alpha only: punch the bars out of the badge.
        punch_white_out(&mut pixmap);
    }

    if state.on_api_key {
        let r = (s / 7.0).max(2.0);
        let colour = match style {
            Style::Colour => rgb(API_KEY_BLUE, 1.0),
            Style::Template => rgb(0x000000, 1.0),
        };
        let mut pb = PathBuilder::new();
        pb.push_circle(s - r - 0.5, r + 0.5, r);
        fill(&mut pixmap, pb.finish(), colour);
    }

    let rgba = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    Rendered { size, rgba }
}

/// Turns white into transparency, so a template badge shows its bars as holes.
fn punch_white_out(pixmap: &mut Pixmap) {
    for pixel in pixmap.pixels_mut() {
        let c = pixel.demultiply();
        let whiteness = (u16::from(c.red()) + u16::from(c.green()) + u16::from(c.blue())) / 3;
        let alpha = u16::from(c.alpha()) * (255 - whiteness) / 255;
        *pixel = tiny_skia::ColorU8::from_rgba(0, 0, 0, alpha as u8).premultiply();
    }
}

/// Redraws only when what the icon shows changes.
#[derive(Default)]
pub struct IconCache {
    last: Option<(IconState, u32, Style)>,
}

impl IconCache {
    /// The icon to set, or `None` when it would equal the one already shown.
    pub fn update(&mut self, state: &IconState, size: u32, style: Style) -> Option<Rendered> {
        let key = (state.clone(), size, style);
        if self.last.as_ref() == Some(&key) {
            return None;
        }
        self.last = Some(key);
        Some(render(state, size, style))
    }
}

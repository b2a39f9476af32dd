//! The web UI's TypeScript types are generated from the Rust types that cross into it, so the
//! two cannot drift: `ui/src/lib/generated.ts` is written by this test (with `UPDATE_UI_TYPES=1`)
//! and checked by it otherwise.

#[cfg(test)]
mod tests {
    use headroom_core::login::vault::TokenInfo;
    use headroom_core::model::{SourceKind, WindowKind};
    use headroom_core::present::dashboard_view::{
        AccountTag, Action, BlockedView, DashboardView, ErrorView, ResetCreditView, WindowView,
    };
    use headroom_core::present::history_view::{ChartSeries, HistoryView};
    use headroom_core::settings::{FieldProblem, SettingsForm, ShowAs};
    use headroom_core::tokens::report::{DailyReport, DayRow, Row};
    use headroom_core::tokens::usage::TokenCounts;
    use headroom_types::Level;
    use ts_rs::TS;

    use headroom_protocol::calls::{
        AccountCredentials, AccountEntry, Call, Credentials, HookEntry, SavedSettings, Source,
    };
    use headroom_protocol::Window;

    const HEADER: &str = "// Generated from the Rust types by src-tauri/src/ui_types.rs: do not edit.\n\
        // After changing one of those types: UPDATE_UI_TYPES=1 cargo test -p headroom-window ui_types\n\n";

    fn generated() -> String {
        let declarations = [
            Level::decl(),
            WindowKind::decl(),
            SourceKind::decl(),
            ShowAs::decl(),
            Action::decl(),
            WindowView::decl(),
            BlockedView::decl(),
            ResetCreditView::decl(),
            ErrorView::decl(),
            AccountTag::decl(),
            DashboardView::decl(),
            SettingsForm::decl(),
            FieldProblem::decl(),
            SavedSettings::decl(),
            TokenInfo::decl(),
            Source::decl(),
            AccountCredentials::decl(),
            Credentials::decl(),
            AccountEntry::decl(),
            HookEntry::decl(),
            ChartSeries::decl(),
            HistoryView::decl(),
            TokenCounts::decl(),
            Row::decl(),
            DayRow::decl(),
            DailyReport::decl(),
            Window::decl(),
            Call::decl(),
        ];
        let mut out = HEADER.to_string();
        for declaration in declarations {
            out.push_str("export ");
            match a_variant_a_line(declaration.trim()) {
                Some(union) => out.push_str(&union),
                None => out.push_str(&one_field_a_line(declaration.trim())),
            }
            out.push_str("\n\n");
        }
        out.trim_end().to_string() + "\n"
    }

    /// `text` cut at each `separator` outside brackets and doc comments (the last piece too).
    fn split_outside_brackets(text: &str, separator: u8) -> Vec<&str> {
        let mut pieces = Vec::new();
        let (mut depth, mut start, mut in_doc) = (0i32, 0, false);
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'/' if !in_doc && text[i..].starts_with("/**") => in_doc = true,
                b'/' if in_doc && i > 0 && bytes[i - 1] == b'*' => in_doc = false,
                b'<' | b'(' | b'[' | b'{' if !in_doc => depth += 1,
                b'>' | b')' | b']' | b'}' if !in_doc => depth -= 1,
                b if b == separator && !in_doc && depth == 0 => {
                    pieces.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        pieces.push(&text[start..]);
        pieces
    }

    /// A union of objects (`type Call = { "call": "a" } | { "call": "b", x: T, };`) as one
    /// variant a line, without the fields' doc comments (the Rust type has them); `None` for
    /// any other declaration.
    fn a_variant_a_line(declaration: &str) -> Option<String> {
        let (name, body) = declaration.split_once(" = ")?;
        let variants = split_outside_brackets(body.trim().trim_end_matches(';'), b'|');
        if variants.len() < 2 || !variants.iter().all(|v| v.trim().starts_with('{')) {
            return None;
        }
        let mut out = format!("{name} =\n");
        for variant in variants {
            let inner = variant.trim().trim_start_matches('{').trim_end_matches('}');
            let mut fields = Vec::new();
            let mut rest = inner;
            while let Some(at) = rest.find("/**") {
                let end = rest[at..].find("*/").map(|e| at + e + 2).unwrap_or(rest.len());
                fields.push(rest[..at].to_string());
                rest = &rest[end..];
            }
            fields.push(rest.to_string());
            let text = fields.concat();
            let parts: Vec<&str> = text.split([',', ';']).map(str::trim).filter(|f| !f.is_empty()).collect();
            out.push_str(&format!("  | {{ {} }}\n", parts.join("; ")));
        }
        Some(out.trim_end().to_string() + ";")
    }

    /// `type X = { a: T, /** doc */ b: U, };` as one field a line, each under its doc comment.
    fn one_field_a_line(declaration: &str) -> String {
        let (Some(open), Some(close)) = (declaration.find('{'), declaration.rfind('}')) else {
            return declaration.to_string();
        };
        let mut out = declaration[..open].to_string() + "{\n";
        let fields = split_outside_brackets(&declaration[open + 1..close], b',');
        for field in fields.into_iter().filter(|f| !f.trim().is_empty()) {
            let field = field.trim();
            let (doc, field) = match field.find("*/") {
                Some(end) => (Some(&field[..end + 2]), field[end + 2..].trim()),
                None => (None, field),
            };
            if let Some(doc) = doc {
                let words: Vec<&str> = doc
                    .lines()
                    .map(|l| l.trim().trim_start_matches("/**").trim_end_matches("*/").trim_start_matches('*').trim())
                    .filter(|l| !l.is_empty())
                    .collect();
                out.push_str(&format!("  /** {} */\n", words.join(" ")));
            }
            out.push_str(&format!("  {field};\n"));
        }
        out + &declaration[close..]
    }

    #[test]
    fn the_ui_types_are_the_rust_types() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/generated.ts");
        let expected = generated();
        if std::env::var_os("UPDATE_UI_TYPES").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == expected,
            "ui/src/lib/generated.ts does not match the Rust types: run `UPDATE_UI_TYPES=1 cargo test -p headroom-window ui_types` and commit the file.\n--- expected ---\n{expected}"
        );
    }
}

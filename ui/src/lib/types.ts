// The shapes the Rust side sends, generated from its types (src-tauri/src/ui_types.rs checks
// that generated.ts is current). Times are RFC 3339 UTC.

export type * from "./generated";

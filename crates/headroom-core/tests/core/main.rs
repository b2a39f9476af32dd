//! The core's integration tests: one test binary, a module per subject.

mod alert_rules;
mod history;
mod module_map;
mod parsers_never_panic;

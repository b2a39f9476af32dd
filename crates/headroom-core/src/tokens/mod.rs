//! Local token usage from Codex's session logs: the `token_count` events read ([`usage`]),
//! cached per file ([`ledger`]) and reported by day, month or session ([`report`]).

pub mod ledger;
pub mod report;
pub mod usage;

//! Several accounts side by side: which there are ([`roster`]), reading each at once without one
//! account's trouble holding up another ([`read`]), when each is due ([`schedule`]), and adding,
//! removing and pinning them ([`changes`]).
//!
//! Headroom never moves a ChatGPT login from one Codex home to another: a copy leaves two holders
//! of one single-use refresh token, and whichever Codex refreshes first locks the other out. To
//! use another account, Codex is run with that account's home (`CODEX_HOME=… codex`).

pub mod changes;
pub mod read;
pub mod roster;
pub mod schedule;

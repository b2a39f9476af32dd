//! Test support for Headroom: a fake of the ChatGPT usage service on 127.0.0.1, unsigned test
//! JWTs, generated Codex session histories, and the numbers tests start from. Nothing here reaches the internet.

pub mod codex_secrets;
pub mod fake;
pub mod fake_codex;
pub mod history;
pub mod jwt;
pub mod response;
pub mod scenarios;
pub mod snapshot;
pub mod token_history;

pub use fake::{FakeService, RecordedRequest};
pub use response::{Behaviour, FakeResponse};

//! The `headroom` binary's tests, run against the real binary in a sealed environment (see
//! `common`): one test binary, a module per subject.

mod common;

mod accounts;
mod answers;
mod autumn;
mod bars;
mod codex_keyring;
mod defects;
mod doctor;
mod fallback;
mod history;
mod logins;
mod people;
mod real_rollouts;
mod shared_numbers;
mod status;
mod token;
mod token_keyring_unavailable;
mod usage_ccusage;

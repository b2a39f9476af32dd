//! Logins and secrets, read-only where they are Codex's. [`credentials`] finds the credential
//! to ask with, in a fixed order, from Codex's stores ([`codex_login`], [`codex_secrets`],
//! [`codex_login_store`]) and Headroom's own [`vault`] in the OS [`keychain`]; [`jwt`] reads a
//! token's claims; [`paste`] says what a person pasted;
//! [`pasted_tokens`] keeps every pasted token, one keychain entry per account; [`split_entries`]
//! keeps Headroom's secrets that are longer than one entry holds (on Windows). Codex's refresh
//! token is never spent.

pub mod codex_login;
pub mod codex_login_store;
pub mod codex_secrets;
pub mod credentials;
pub mod guarded_keychain;
pub mod jwt;
pub mod keychain;
pub mod paste;
pub mod pasted_tokens;
pub mod split_entries;
pub mod vault;

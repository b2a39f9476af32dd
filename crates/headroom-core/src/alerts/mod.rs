//! When Headroom speaks up. The [`engine`] follows alert-rules.md (samples in, alerts out, one
//! per crossing); [`pace`] says whether a window runs out before it resets; [`pause`] is the
//! user's "not now"; [`hooks`] are the user's commands run on the same events. What a reading as a whole calls for is decided in `crate::session`.

pub mod engine;
pub mod hooks;
pub mod key;
pub mod pace;
pub mod pause;

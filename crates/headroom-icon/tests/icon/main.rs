//! The icon's tests: one test binary, a module per subject.

mod golden;
mod stays_small;
mod taskbar_contrast;

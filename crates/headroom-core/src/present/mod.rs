//! The words and views. Everything a person sees is decided here as data: the tray's icon
//! state and menu lines ([`tray_view`]), the dashboard's numbers ([`dashboard_view`]) and chart
//! ([`history_view`]), the `status --json` contract
//! ([`status_json`]), the status bars' formats ([`bar_format`]), `guard`'s verdict ([`guard`]),
//! using a banked reset ([`reset_credit`]) and [`doctor`], all in the words of [`words`] and
//! the sentences of [`crate::humanize`]. The shells only put it on screen.

pub mod bar_format;
pub mod dashboard_view;
pub mod doctor;
pub mod guard;
pub mod history_view;
pub mod reset_credit;
pub mod status_json;
pub mod tray_view;
pub mod words;

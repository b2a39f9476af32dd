//! One scripted answer of the fake service: status, headers, body, and how it travels (whole,
//! cut off, garbled, or never). Apart from the server so the scenarios can build answers
//! without depending on it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the response travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "bytes")]
pub enum Behaviour {
    #[default]
    Normal,
    /// Announce the full length, send only this many body bytes, then close.
    CutAfter(usize),
    /// Flip bytes in the body so it is no longer valid JSON.
    Garble,
    /// Read the request and never answer (until the client gives up).
    Hang,
}

/// One scripted response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FakeResponse {
    #[serde(default = "ok")]
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default)]
    pub behaviour: Behaviour,
}

fn ok() -> u16 {
    200
}

impl FakeResponse {
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        FakeResponse {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
            delay_ms: 0,
            behaviour: Behaviour::Normal,
        }
    }

    pub fn html(status: u16, body: impl Into<String>) -> Self {
        FakeResponse {
            headers: vec![("Content-Type".into(), "text/html; charset=UTF-8".into())],
            ..FakeResponse::json(status, body)
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay_ms = delay.as_millis() as u64;
        self
    }

    pub fn with_behaviour(mut self, behaviour: Behaviour) -> Self {
        self.behaviour = behaviour;
        self
    }
}

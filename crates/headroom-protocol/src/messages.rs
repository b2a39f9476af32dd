//! The line framing: one JSON object a line. A window sends [`Request`]s (a [`Call`] and an id);
//! the tray answers each and pushes what the window shows without asking ([`FromTray`]).

use std::io;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

use crate::calls::{Answer, Call, CallError, Relayed};
use crate::Window;

/// The longest line either side accepts: a dashboard of many accounts is a few kilobytes.
pub const MAX_LINE: usize = 512 * 1024;

/// A window's request: `{"id": 7, "call": "refresh"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    #[serde(flatten)]
    pub call: Call,
}

/// What the tray sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromTray {
    /// The answer to request `id`: `ok` holds the [`Reply`](crate::calls::Reply), or `err`
    /// why nothing was done.
    Answer {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ok: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        err: Option<CallError>,
    },
    /// The dashboard's numbers changed (a `DashboardView`, passed on to the webview as it is).
    Dashboard { view: Value },
    /// Show this window: the menu, a click on the icon or a second launch asked for it.
    Open { window: Window },
}

impl FromTray {
    pub fn answer(id: u64, answer: Answer) -> FromTray {
        let written = answer.and_then(|reply| {
            serde_json::to_value(reply)
                .map_err(|e| CallError::Failed(format!("Headroom's tray could not write its answer ({e}): try again.")))
        });
        FromTray::relay(id, written)
    }

    fn relay(id: u64, answer: Relayed) -> FromTray {
        match answer {
            Ok(value) => FromTray::Answer { id, ok: Some(value), err: None },
            Err(error) => FromTray::Answer { id, ok: None, err: Some(error) },
        }
    }

    /// What a window receives for an answer: the reply as JSON, or why nothing was done.
    pub fn relayed(ok: Option<Value>, err: Option<CallError>) -> Relayed {
        match err {
            Some(error) => Err(error),
            None => Ok(ok.unwrap_or(Value::Null)),
        }
    }
}

/// A line that is not a message: what was wrong, and the request's id when one could be read
/// (so the sender is answered instead of left waiting).
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    pub id: Option<u64>,
    pub why: String,
}

pub fn parse_request(line: &[u8]) -> Result<Request, Malformed> {
    serde_json::from_slice(line).map_err(|e| {
        let id = serde_json::from_slice::<Value>(line).ok().and_then(|v| v.get("id").and_then(Value::as_u64));
        Malformed { id, why: e.to_string() }
    })
}

pub fn parse_from_tray(line: &[u8]) -> Result<FromTray, Malformed> {
    serde_json::from_slice(line).map_err(|e| Malformed { id: None, why: e.to_string() })
}

/// One message as a line.
pub fn line(message: &impl Serialize) -> String {
    let mut text = serde_json::to_string(message).expect("messages are plain JSON");
    text.push('\n');
    text
}

/// Reads the next line (without its newline); `None` at the end of the stream. A line longer
/// than [`MAX_LINE`] is an error: the peer is not one of ours.
pub(crate) async fn next_line(
    reader: &mut (impl AsyncBufRead + Unpin),
    buffer: &mut Vec<u8>,
) -> io::Result<Option<()>> {
    buffer.clear();
    let read = reader.take(MAX_LINE as u64 + 1).read_until(b'\n', buffer).await?;
    if read == 0 {
        return Ok(None);
    }
    if buffer.last() == Some(&b'\n') {
        buffer.pop();
    } else if buffer.len() > MAX_LINE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "a message longer than any Headroom sends"));
    }
    Ok(Some(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::Reply;
    use tokio::io::BufReader;

    #[test]
    fn a_request_reads_as_its_call_and_id() {
        let request = parse_request(br#"{"id": 7, "call": "pause_alerts", "until_reset": true}"#).unwrap();
        assert_eq!(request, Request { id: 7, call: Call::PauseAlerts { until_reset: true } });
        let request = parse_request(br#"{"id":1,"call":"history"}"#).unwrap();
        assert_eq!(request.call, Call::History { days: None, account: None });
        let open = parse_request(br#"{"id":2,"call":"open","window":"settings"}"#).unwrap();
        assert_eq!(open.call, Call::Open { window: Window::Settings });
    }

    #[test]
    fn every_call_with_fields_round_trips_through_its_line() {
        // A call's own fields share the object with the request's `id`: none may be called so.
        let calls = [
            Call::Watch { open: Window::Settings },
            Call::AddHome { path: "/home/me/.codex-work".into() },
            Call::RemoveAccount { account: "acct-col".into() },
            Call::PinAccount { account: Some("acct-work".into()) },
            Call::PinAccount { account: None },
            Call::History { days: Some(7), account: Some("acct-1".into()) },
            Call::TokenUsage { days: Some(14), account: None },
            Call::PauseAlerts { until_reset: true },
            Call::RunTestHook { index: 2 },
            Call::Open { window: Window::Dashboard },
        ];
        for (id, call) in calls.into_iter().enumerate() {
            let request = Request { id: id as u64 + 3, call };
            let text = line(&request);
            assert!(text.ends_with('\n') && !text[..text.len() - 1].contains('\n'));
            assert_eq!(parse_request(text.trim_end().as_bytes()), Ok(request), "{text}");
        }
    }

    #[test]
    fn a_malformed_request_is_said_with_its_id_when_it_has_one() {
        let unknown = parse_request(br#"{"id": 9, "call": "format_disk"}"#).unwrap_err();
        assert_eq!(unknown.id, Some(9));
        assert!(unknown.why.contains("format_disk"), "{}", unknown.why);
        let wrong_type = parse_request(br#"{"id": 4, "call": "pause_alerts", "until_reset": "yes"}"#).unwrap_err();
        assert_eq!(wrong_type.id, Some(4));
        for garbage in
            [&b"not json"[..], b"", b"[]", b"{\"call\":\"refresh\"}", b"{\"id\":-1,\"call\":\"refresh\"}", b"\xff\xfe"]
        {
            let error = parse_request(garbage).unwrap_err();
            assert_eq!(error.id, None, "{:?}", String::from_utf8_lossy(garbage));
        }
    }

    #[test]
    fn an_answer_carries_a_value_or_why_nothing_was_done() {
        let pause = Reply::Maybe(Some("2026-12-07T21:00:00Z".into()));
        let ok = line(&FromTray::answer(5, Ok(pause)));
        assert_eq!(ok.trim_end(), r#"{"kind":"answer","id":5,"ok":"2026-12-07T21:00:00Z"}"#);
        let done = line(&FromTray::answer(8, Ok(Reply::Done)));
        assert_eq!(done.trim_end(), r#"{"kind":"answer","id":8,"ok":null}"#);
        let refused = CallError::Refused("No token is stored: paste one first.".into());
        let err = line(&FromTray::answer(6, Err(refused.clone())));
        assert!(err.contains(r#""err":{"kind":"refused","sentence":"No token is stored: paste one first."}"#), "{err}");
        let FromTray::Answer { id, ok, err } = parse_from_tray(err.trim_end().as_bytes()).unwrap() else {
            panic!("an answer")
        };
        assert_eq!((id, FromTray::relayed(ok, err)), (6, Err(refused)));
        let open = parse_from_tray(br#"{"kind":"open","window":"dashboard"}"#).unwrap();
        assert_eq!(open, FromTray::Open { window: Window::Dashboard });
        assert!(parse_from_tray(br#"{"kind":"open","window":"terminal"}"#).is_err());
    }

    #[tokio::test]
    async fn a_line_too_long_ends_the_reading_and_short_ones_arrive_whole() {
        let mut text = b"{\"id\":1}\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        let mut reader = BufReader::new(&text[..]);
        let mut buffer = Vec::new();
        assert_eq!(next_line(&mut reader, &mut buffer).await.unwrap(), Some(()));
        assert_eq!(buffer, b"{\"id\":1}");
        assert!(next_line(&mut reader, &mut buffer).await.is_err());
        let mut empty = BufReader::new(&b""[..]);
        assert_eq!(next_line(&mut empty, &mut buffer).await.unwrap(), None);
    }
}

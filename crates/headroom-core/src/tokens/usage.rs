//! Local token usage from Codex's session logs: the `token_count` events, turned into per-event
//! deltas and summed per model in 15-minute buckets, one `FileUsage` per rollout file.
//!
//! The rules follow what `ccusage codex` (20.0.24) counts, so the two agree on the same CODEX_HOME:
//! an event whose `total_token_usage` equals the previous event's totals is a repeat, no new
//! usage (Codex repeats an unchanged `token_count`); otherwise `last_token_usage` is the event's
//! delta, else the growth of `total_token_usage` since the previous totals of the file; an
//! all-zero delta is no event; the model is the event's own, else the latest `turn_context`'s,
//! else `gpt-5` (marked as a guess); cached input never exceeds input, and cache writes never
//! exceed the input that was not read from the cache.
//!
//! Speed: session logs reach gigabytes, almost all of it conversation text. Only lines holding
//! `token_count` or `turn_context` matter and both contain `n_co`, so one SIMD substring search
//! over the mapped file finds the candidates and only those lines are parsed as JSON.

use serde::{Deserialize, Serialize};

/// Every real time zone offset is a multiple of 15 minutes, so a day or a month in any zone is a
/// whole number of these buckets and the per-file sums can be cached once for every zone.
pub const BUCKET_SECONDS: i64 = 900;

const LEGACY_FALLBACK_MODEL: &str = "gpt-5";

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCounts {
    /// All input tokens, the cached ones included (as OpenAI counts them).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub input_tokens: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cached_input_tokens: u64,
    /// Input written to the prompt cache (`cache_write_input_tokens`), part of the input.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub cache_write_input_tokens: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub output_tokens: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub reasoning_output_tokens: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_tokens: u64,
}

impl std::ops::AddAssign for TokenCounts {
    fn add_assign(&mut self, other: TokenCounts) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.cache_write_input_tokens += other.cache_write_input_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_output_tokens += other.reasoning_output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

/// Counters as a log line states them, before they become a delta.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawUsage {
    input: u64,
    cached: u64,
    cache_write: u64,
    output: u64,
    reasoning: u64,
    total: u64,
}

impl RawUsage {
    fn from_line(line: &UsageLine) -> RawUsage {
        let number = |n: &Lenient<f64>| n.0.filter(|n| n.is_finite() && *n > 0.0);
        let count = |n: &Lenient<f64>| number(n).map_or(0, |n| n as u64);
        let input = count(&line.input_tokens);
        let output = count(&line.output_tokens);
        let total = count(&line.total_tokens);
        RawUsage {
            input,
            cached: number(&line.cached_input_tokens)
                .or_else(|| number(&line.cache_read_input_tokens))
                .map_or(0, |n| n as u64),
            cache_write: count(&line.cache_write_input_tokens),
            output,
            reasoning: count(&line.reasoning_output_tokens),
            // Codex leaves reasoning out of its total; legacy lines without one get input + output.
            total: if total > 0 { total } else { input + output },
        }
    }

    fn minus(self, previous: Option<RawUsage>) -> RawUsage {
        let p = previous.unwrap_or_default();
        RawUsage {
            input: self.input.saturating_sub(p.input),
            cached: self.cached.saturating_sub(p.cached),
            cache_write: self.cache_write.saturating_sub(p.cache_write),
            output: self.output.saturating_sub(p.output),
            reasoning: self.reasoning.saturating_sub(p.reasoning),
            total: self.total.saturating_sub(p.total),
        }
    }

    fn counts(self) -> TokenCounts {
        let cached = self.cached.min(self.input);
        TokenCounts {
            input_tokens: self.input,
            cached_input_tokens: cached,
            cache_write_input_tokens: self.cache_write.min(self.input - cached),
            output_tokens: self.output,
            reasoning_output_tokens: self.reasoning,
            // A delta of running totals keeps its own total, even 0 when Codex restarted and its
            // totals began again (as ccusage counts it); a line's missing total was filled in above.
            total_tokens: self.total,
        }
    }
}

/// One model's tokens in one 15-minute bucket of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Unix seconds, a multiple of `BUCKET_SECONDS`.
    pub start: i64,
    /// Index into the file's `models`.
    pub model: u16,
    pub counts: TokenCounts,
    /// The newest event in it, unix milliseconds.
    pub last_event_ms: i64,
}

/// One file's usage, and where its scan stopped so an append is read from there on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileUsage {
    /// In the order first seen.
    pub buckets: Vec<Bucket>,
    /// The models the buckets name, each once.
    pub models: Vec<String>,
    /// Bytes scanned: always the end of a complete line.
    pub scanned: u64,
    previous_totals: Option<RawUsage>,
    current_model: Option<String>,
    current_model_is_fallback: bool,
}

impl FileUsage {
    pub fn model(&self, bucket: &Bucket) -> &str {
        self.models.get(bucket.model as usize).map_or("", String::as_str)
    }

    fn add(&mut self, start: i64, model: &str, counts: TokenCounts, at_ms: i64) {
        let model = match self.models.iter().position(|m| m == model) {
            Some(i) => i as u16,
            None => {
                self.models.push(model.to_string());
                (self.models.len() - 1) as u16
            }
        };
        // Events arrive in time order, so the matching bucket is nearly always among the last few.
        if let Some(b) = self.buckets.iter_mut().rev().take(8).find(|b| b.start == start && b.model == model) {
            b.counts += counts;
            b.last_event_ms = b.last_event_ms.max(at_ms);
        } else {
            self.buckets.push(Bucket { start, model, counts, last_event_ms: at_ms });
        }
    }

    /// Reads the complete lines of `data` past `self.scanned`, then returns the usage including
    /// an unfinished last line (Codex may be writing it) without keeping that line in `self`,
    /// so that when it is finished it is read once, whole.
    pub fn scan(&mut self, data: &[u8]) -> FileUsage {
        self.scan_from(data, 0)
    }

    /// As `scan`, for `data` that begins at byte `base` of the file (`base <= self.scanned`).
    pub fn scan_from(&mut self, data: &[u8], base: u64) -> FileUsage {
        let start = (self.scanned.saturating_sub(base) as usize).min(data.len());
        let complete_end = match memchr::memrchr(b'\n', &data[start..]) {
            Some(i) => start + i + 1,
            None => start,
        };
        self.scan_lines(data, start, complete_end);
        self.scanned = base + complete_end as u64;
        let mut with_tail = self.clone();
        if complete_end < data.len() {
            with_tail.scan_lines(data, complete_end, data.len());
        }
        with_tail
    }

    fn scan_lines(&mut self, data: &[u8], from: usize, to: usize) {
        let finder = memchr::memmem::Finder::new(b"n_co");
        let region = &data[from..to];
        let mut next_line_start = 0usize;
        for hit in finder.find_iter(region) {
            if hit < next_line_start {
                continue; // another hit in a line already read
            }
            let line_start = memchr::memrchr(b'\n', &region[next_line_start..hit])
                .map_or(next_line_start, |i| next_line_start + i + 1);
            let line_end = memchr::memchr(b'\n', &region[hit..]).map_or(region.len(), |i| hit + i);
            next_line_start = line_end + 1;
            self.line(&region[line_start..line_end]);
        }
    }

    fn line(&mut self, line: &[u8]) {
        let Ok(entry) = serde_json::from_slice::<Line>(line.trim_ascii()) else { return };
        let payload = entry.payload.0;
        match entry.kind.as_deref() {
            Some("turn_context") => {
                if let Some(model) = payload.as_ref().and_then(Payload::model) {
                    self.current_model = Some(model);
                    self.current_model_is_fallback = false;
                }
            }
            Some("event_msg") => {
                if let (Some(payload), Some(timestamp)) = (payload, entry.timestamp.as_deref()) {
                    if payload.kind.as_deref() == Some("token_count") {
                        self.token_count(timestamp, &payload);
                    }
                }
            }
            _ => {}
        }
    }

    fn token_count(&mut self, timestamp: &str, payload: &Payload) {
        let info = payload.info.0.as_ref();
        let last = info.and_then(|i| i.last_token_usage.0.as_ref()).map(RawUsage::from_line);
        let total = info.and_then(|i| i.total_token_usage.0.as_ref()).map(RawUsage::from_line);
        // Codex repeats a token count with unchanged totals: that is no new usage.
        if total.is_some() && total == self.previous_totals {
            return;
        }
        let raw = last.or_else(|| total.map(|t| t.minus(self.previous_totals)));
        if total.is_some() {
            self.previous_totals = total;
        }
        let Some(raw) = raw else { return };
        let counts = raw.counts();
        if counts.input_tokens == 0
            && counts.cached_input_tokens == 0
            && counts.cache_write_input_tokens == 0
            && counts.output_tokens == 0
            && counts.reasoning_output_tokens == 0
        {
            return;
        }
        let Ok(time) = chrono::DateTime::parse_from_rfc3339(timestamp) else { return };

        let model = match payload.model() {
            Some(model) => {
                self.current_model_is_fallback = false;
                self.current_model.insert(model).clone()
            }
            None => match &self.current_model {
                Some(model) => model.clone(),
                None => {
                    self.current_model = Some(LEGACY_FALLBACK_MODEL.into());
                    self.current_model_is_fallback = true;
                    LEGACY_FALLBACK_MODEL.into()
                }
            },
        };
        let bucket = time.timestamp().div_euclid(BUCKET_SECONDS) * BUCKET_SECONDS;
        self.add(bucket, &model, counts, time.timestamp_millis());
    }
}

// The parts of a log line that matter, read leniently: a field of an unexpected type counts as
// absent (as ccusage treats it) instead of discarding the line; everything else is skipped
// unparsed, which is what makes reading gigabytes fast.

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(default, borrow)]
    timestamp: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "type", default, borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    payload: Lenient<Payload>,
}

#[derive(Deserialize, Default)]
struct Payload {
    #[serde(rename = "type", default)]
    kind: Lenient<String>,
    #[serde(default)]
    info: Lenient<Info>,
    #[serde(default)]
    model: Lenient<String>,
    #[serde(default)]
    metadata: Lenient<Metadata>,
}

#[derive(Deserialize, Default)]
struct Info {
    #[serde(default)]
    total_token_usage: Lenient<UsageLine>,
    #[serde(default)]
    last_token_usage: Lenient<UsageLine>,
    #[serde(default)]
    model: Lenient<String>,
    #[serde(default)]
    model_name: Lenient<String>,
    #[serde(default)]
    metadata: Lenient<Metadata>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    model: Lenient<String>,
}

#[derive(Deserialize, Default)]
struct UsageLine {
    #[serde(default)]
    input_tokens: Lenient<f64>,
    #[serde(default)]
    cached_input_tokens: Lenient<f64>,
    #[serde(default)]
    cache_read_input_tokens: Lenient<f64>,
    #[serde(default)]
    cache_write_input_tokens: Lenient<f64>,
    #[serde(default)]
    output_tokens: Lenient<f64>,
    #[serde(default)]
    reasoning_output_tokens: Lenient<f64>,
    #[serde(default)]
    total_tokens: Lenient<f64>,
}

impl Payload {
    /// `info.model`, `info.model_name`, `info.metadata.model`, then the payload's own `model`
    /// and `metadata.model`.
    fn model(&self) -> Option<String> {
        let text = |v: &Lenient<String>| v.0.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let info = self.info.0.as_ref();
        info.and_then(|i| {
            text(&i.model)
                .or_else(|| text(&i.model_name))
                .or_else(|| i.metadata.0.as_ref().and_then(|m| text(&m.model)))
        })
        .or_else(|| text(&self.model))
        .or_else(|| self.metadata.0.as_ref().and_then(|m| text(&m.model)))
    }
}

impl Lenient<String> {
    fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A value of type `T`, or `None` when the JSON holds anything else there. Read in one pass:
/// a mismatched value is skipped, not parsed twice.
struct Lenient<T>(Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

/// What a lenient field accepts: a JSON object, number or string, as the type wants.
trait FromJson: Sized {
    fn from_map<'de, A: serde::de::MapAccess<'de>>(map: A) -> Result<Option<Self>, A::Error> {
        drain_map(map).map(|_| None)
    }
    fn from_number(_: f64) -> Option<Self> {
        None
    }
    fn from_text(_: &str) -> Option<Self> {
        None
    }
}

fn drain_map<'de, A: serde::de::MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
    Ok(())
}

impl FromJson for f64 {
    fn from_number(n: f64) -> Option<f64> {
        Some(n)
    }
}

impl FromJson for String {
    fn from_text(s: &str) -> Option<String> {
        Some(s.to_string())
    }
}

macro_rules! from_json_object {
    ($($t:ty),*) => {$(
        impl FromJson for $t {
            fn from_map<'de, A: serde::de::MapAccess<'de>>(map: A) -> Result<Option<Self>, A::Error> {
                <$t>::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
            }
        }
    )*};
}
from_json_object!(Payload, Info, Metadata, UsageLine);

impl<'de, T: FromJson> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: FromJson> serde::de::Visitor<'de> for Visit<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::from_map(map).map(Lenient)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_number(n)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_number(n as f64)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_number(n as f64)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Lenient(T::from_text(s)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        }
        deserializer.deserialize_any(Visit(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_line(time: &str, total: (u64, u64, u64, u64), last: Option<(u64, u64, u64, u64)>) -> String {
        let usage = |(i, c, o, r): (u64, u64, u64, u64)| {
            serde_json::json!({"input_tokens": i, "cached_input_tokens": c, "output_tokens": o,
                               "reasoning_output_tokens": r, "total_tokens": i + o})
        };
        let mut info = serde_json::json!({"total_token_usage": usage(total)});
        if let Some(last) = last {
            info["last_token_usage"] = usage(last);
        }
        serde_json::json!({"timestamp": time, "type": "event_msg",
                           "payload": {"type": "token_count", "info": info, "rate_limits": null}})
        .to_string()
    }

    fn scan(text: &str) -> FileUsage {
        FileUsage::default().scan(text.as_bytes())
    }

    #[test]
    fn deltas_come_from_last_usage_or_the_growth_of_totals() {
        let text = [
            r#"{"timestamp":"2026-11-20T09:00:00Z","type":"turn_context","payload":{"model":"gpt-5.1-codex"}}"#.into(),
            token_line("2026-11-20T09:01:00Z", (1000, 400, 100, 10), Some((1000, 400, 100, 10))),
            token_line("2026-11-20T09:02:00Z", (1500, 600, 150, 20), None),
            // The same totals again: nothing new, no event.
            token_line("2026-11-20T09:03:00Z", (1500, 600, 150, 20), None),
            token_line("2026-11-20T09:20:00Z", (2000, 900, 200, 20), Some((500, 300, 50, 0))),
        ]
        .join("\n");
        let usage = scan(&text);
        assert_eq!(usage.buckets.len(), 2, "{:?}", usage.buckets);
        let first = usage.buckets[0].counts;
        assert_eq!((first.input_tokens, first.cached_input_tokens, first.output_tokens), (1500, 600, 150));
        assert_eq!(first.reasoning_output_tokens, 20);
        assert_eq!(first.total_tokens, 1650);
        let quarter = chrono::DateTime::parse_from_rfc3339("2026-11-20T09:15:00Z").unwrap().timestamp();
        assert_eq!(usage.buckets[1].start, quarter, "09:20 falls in the 09:15 bucket");
        assert_eq!(usage.model(&usage.buckets[1]), "gpt-5.1-codex");
        let last = chrono::DateTime::parse_from_rfc3339("2026-11-20T09:20:00Z").unwrap().timestamp_millis();
        assert_eq!(usage.buckets[1].last_event_ms, last);
    }

    #[test]
    fn a_repeated_token_count_is_no_new_usage() {
        let event = token_line("2026-11-20T09:01:00Z", (100, 10, 20, 5), Some((100, 10, 20, 5)));
        let text = [
            r#"{"timestamp":"2026-11-20T09:00:00Z","type":"turn_context","payload":{"model":"gpt-5.1-codex"}}"#.into(),
            event.clone(),
            // Codex repeats it: the same totals and the same last usage.
            event.replace("09:01:00", "09:01:05"),
            // The same totals with another last usage are still a repeat (as ccusage 20.0.24 counts).
            token_line("2026-11-20T09:01:09Z", (100, 10, 20, 5), Some((50, 0, 10, 0))),
            // Totals that went down (a restarted Codex) are new usage.
            token_line("2026-11-20T09:02:00Z", (30, 0, 5, 0), Some((30, 0, 5, 0))),
        ]
        .join("\n");
        let usage = scan(&text);
        let c = usage.buckets[0].counts;
        assert_eq!((c.input_tokens, c.output_tokens, c.total_tokens), (130, 25, 155));
    }

    #[test]
    fn cache_writes_are_carried_and_held_to_the_uncached_input() {
        let line = |time: &str, usage: &str| {
            format!(
                r#"{{"timestamp":"{time}","type":"event_msg","payload":{{"type":"token_count","info":{{"last_token_usage":{usage}}}}}}}"#
            )
        };
        let text = [
            line("2026-11-20T09:01:00Z", r#"{"input_tokens":100,"cached_input_tokens":10,"cache_write_input_tokens":7,"output_tokens":20,"total_tokens":120}"#),
            // More cache writes than uncached input: held to what was not read from the cache.
            line("2026-11-20T09:02:00Z", r#"{"input_tokens":10,"cached_input_tokens":8,"cache_write_input_tokens":7,"output_tokens":2,"total_tokens":12}"#),
            // Some writers name the cached reads `cache_read_input_tokens`.
            line("2026-11-20T09:03:00Z", r#"{"input_tokens":100,"cache_read_input_tokens":30,"output_tokens":20,"total_tokens":120}"#),
        ]
        .join("\n");
        let c = scan(&text).buckets[0].counts;
        assert_eq!((c.input_tokens, c.cached_input_tokens, c.cache_write_input_tokens), (210, 48, 9));
    }

    #[test]
    fn no_model_anywhere_is_a_marked_guess() {
        let usage = scan(&token_line("2026-11-20T09:01:00Z", (10, 0, 1, 0), None));
        assert_eq!(usage.model(&usage.buckets[0]), "gpt-5");
        assert!(usage.current_model_is_fallback);
    }

    #[test]
    fn an_unfinished_line_is_counted_but_read_again_once_finished() {
        let complete = token_line("2026-11-20T09:01:00Z", (10, 0, 1, 0), None) + "\n";
        let second = token_line("2026-11-20T09:02:00Z", (30, 0, 3, 0), None);
        let mut cached = FileUsage::default();
        let shown = cached.scan(format!("{complete}{second}").as_bytes());
        assert_eq!(shown.buckets[0].counts.input_tokens, 30);
        assert_eq!(cached.buckets[0].counts.input_tokens, 10, "the unfinished line is not kept");
        assert_eq!(cached.scanned as usize, complete.len());
        // Codex finishes the line and appends another: only the new bytes are read.
        let third = token_line("2026-11-20T09:03:00Z", (60, 0, 6, 0), None);
        let shown = cached.scan(format!("{complete}{second}\n{third}\n").as_bytes());
        assert_eq!(shown.buckets[0].counts.input_tokens, 60);
        assert_eq!(shown, cached);
    }

    #[test]
    fn conversation_text_and_broken_lines_are_skipped() {
        let text = [
            r#"{"timestamp":"2026-11-20T09:00:00Z","type":"response_item","payload":{"text":"see token_count and turn_context"}}"#.to_string(),
            r#"{"timestamp":"2026-11-20T09:00:01Z","type":"event_msg","payload":{"type":"token_count","info":{"total_tok"#.to_string(),
            token_line("2026-11-20T09:01:00Z", (10, 20, 1, 0), None),
        ]
        .join("\n");
        let usage = scan(&text);
        assert_eq!(usage.buckets.len(), 1);
        assert_eq!(usage.buckets[0].counts.cached_input_tokens, 10, "cached never exceeds input");
    }
}

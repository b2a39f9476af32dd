//! Generated Codex session histories (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`) in the
//! current line shape, for tests and benchmarks. Deterministic for a given spec.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;

#[derive(Debug, Clone)]
pub struct HistorySpec {
    pub files: usize,
    /// Roughly how many bytes all files hold together.
    pub total_bytes: u64,
    /// The history spans this many days, ending at `end_unix`.
    pub days: u32,
    pub end_unix: i64,
    pub seed: u64,
}

/// What the newest `token_count` line in the generated history says.
#[derive(Debug, Clone, PartialEq)]
pub struct NewestSnapshot {
    pub path: PathBuf,
    pub timestamp_unix: i64,
    pub primary_used: f64,
    pub secondary_used: f64,
    pub primary_resets_at: i64,
    pub secondary_resets_at: i64,
}

#[derive(Debug, Clone)]
pub struct GeneratedHistory {
    pub files: usize,
    pub bytes: u64,
    pub newest: Option<NewestSnapshot>,
}

/// Deterministic filler randomness for generated histories.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        // xorshift64*: small, fast and good enough for filler.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const MODELS: &[&str] = &["gpt-5-codex", "gpt-5.1-codex-max", "gpt-5.3-codex"];

pub fn iso(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Days since 1970-01-01 to (year, month, day), after Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (era * 400 + yoe + if m <= 2 { 1 } else { 0 }, m, d)
}

/// Writes the history under `sessions_dir` and returns what its newest snapshot says. Each
/// file's modification time is set to its last line's time, as Codex's own writes would leave it.
pub fn generate(sessions_dir: &Path, spec: &HistorySpec) -> std::io::Result<GeneratedHistory> {
    let mut rng = Rng(spec.seed | 1);
    let span = i64::from(spec.days.max(1)) * 86_400;
    let start = spec.end_unix - span;
    let per_file = (spec.total_bytes / spec.files.max(1) as u64).max(2_000);
    let mut written = 0u64;
    let mut newest: Option<NewestSnapshot> = None;
    let filler: String = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ".repeat(64);

    for index in 0..spec.files {
        // Sessions start evenly spread, each lasting up to an hour, the last one ending at `end_unix`.
        let session_start = start + (span - 3_600) * index as i64 / spec.files.max(1) as i64;
        let (y, m, d) = civil_from_days(session_start.div_euclid(86_400));
        let dir = sessions_dir.join(format!("{y:04}")).join(format!("{m:02}")).join(format!("{d:02}"));
        fs::create_dir_all(&dir)?;
        let stamp = iso(session_start).replace(':', "-");
        let path = dir.join(format!("rollout-{}-{:016x}.jsonl", &stamp[..19], rng.next()));
        let mut out = BufWriter::with_capacity(1 << 16, File::create(&path)?);
        let mut bytes = 0u64;
        let mut t = session_start;
        let model = MODELS[rng.below(MODELS.len() as u64) as usize];
        let line = |out: &mut BufWriter<File>, value: serde_json::Value| -> std::io::Result<u64> {
            let text = value.to_string();
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
            Ok(text.len() as u64 + 1)
        };
        bytes += line(
            &mut out,
            json!({"timestamp": iso(t), "type": "session_meta",
            "payload": {"id": format!("{:016x}", rng.next()), "cwd": "/home/dev/project", "cli_version": "0.99.0"}}),
        )?;
        bytes += line(&mut out, json!({"timestamp": iso(t), "type": "turn_context", "payload": {"model": model}}))?;
        let mut last_snapshot = None;
        let mut total_in = 0u64;
        let mut total_out = 0u64;
        let step = (3_000 / (per_file / 3_000).max(1)).max(1) as i64;
        while bytes < per_file {
            t += step;
            let take = 200 + rng.below(filler.len() as u64 - 200) as usize;
            bytes += line(
                &mut out,
                json!({"timestamp": iso(t), "type": "response_item",
                "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": &filler[..take]}]}}),
            )?;
            if rng.below(3) == 0 {
                let input = 500 + rng.below(5_000);
                let output = 50 + rng.below(800);
                total_in += input;
                total_out += output;
                // Usage grows over the history so the newest line has the largest numbers.
                let progress = (t - start) as f64 / span as f64;
                let primary = ((progress * 1000.0) % 100.0 * 10.0).round() / 10.0;
                let secondary = ((progress * 100.0).min(99.0) * 10.0).round() / 10.0;
                let primary_resets = t + 18_000 - (t % 18_000);
                let secondary_resets = t + 604_800 - (t % 604_800);
                let usage = json!({"input_tokens": input, "cached_input_tokens": input / 2, "output_tokens": output,
                                   "reasoning_output_tokens": output / 3, "total_tokens": input + output});
                let totals = json!({"input_tokens": total_in, "cached_input_tokens": total_in / 2, "output_tokens": total_out,
                                    "reasoning_output_tokens": total_out / 3, "total_tokens": total_in + total_out});
                bytes += line(
                    &mut out,
                    json!({"timestamp": iso(t), "type": "event_msg", "payload": {
                    "type": "token_count",
                    "info": {"total_token_usage": totals, "last_token_usage": usage, "model_context_window": 272000},
                    "rate_limits": {"limit_id": "codex", "limit_name": null,
                        "primary": {"used_percent": primary, "window_minutes": 300, "resets_at": primary_resets},
                        "secondary": {"used_percent": secondary, "window_minutes": 10080, "resets_at": secondary_resets},
                        "credits": null, "plan_type": "plus", "rate_limit_reached_type": null}}}),
                )?;
                last_snapshot = Some(NewestSnapshot {
                    path: path.clone(),
                    timestamp_unix: t,
                    primary_used: primary,
                    secondary_used: secondary,
                    primary_resets_at: primary_resets,
                    secondary_resets_at: secondary_resets,
                });
            }
        }
        // A session usually ends with a few lines after its last token count.
        t += 1;
        bytes += line(
            &mut out,
            json!({"timestamp": iso(t), "type": "response_item",
            "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "thanks"}]}}),
        )?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.set_modified(UNIX_EPOCH + Duration::from_secs(t.max(0) as u64))?;
        written += bytes;
        if let Some(snapshot) = last_snapshot {
            if newest.as_ref().is_none_or(|n| snapshot.timestamp_unix >= n.timestamp_unix) {
                newest = Some(snapshot);
            }
        }
    }
    Ok(GeneratedHistory { files: spec.files, bytes: written, newest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_795_340_000), "2026-11-22T09:33:20.000Z");
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00.000Z");
    }
}

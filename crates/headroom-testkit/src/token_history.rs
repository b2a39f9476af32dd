//! Generated Codex histories for token-usage reports: several models, sessions across a month
//! boundary and across midnight, model switches mid-session, events with only running totals,
//! repeated totals and whole repeated events (Codex repeats an unchanged `token_count`), cache
//! writes, interrupted sessions (a cut-off last line), resumed ones (a later turn in the same
//! file, and a restarted process whose totals begin again), a session without any model metadata,
//! and finished sessions moved to `archived_sessions/`. Deterministic for a seed.

use std::fs;
use std::path::Path;

use serde_json::json;

use crate::history::{iso, Rng};

const MODELS: &[&str] = &["gpt-5-codex", "gpt-5.1-codex-max", "gpt-5.3-codex", "o4-mini"];

#[derive(Default, Clone, Copy)]
struct Totals {
    input: u64,
    cached: u64,
    write: u64,
    output: u64,
    reasoning: u64,
}

fn usage(t: Totals) -> serde_json::Value {
    let mut usage = json!({"input_tokens": t.input, "cached_input_tokens": t.cached, "output_tokens": t.output,
           "reasoning_output_tokens": t.reasoning, "total_tokens": t.input + t.output});
    if t.write > 0 {
        usage["cache_write_input_tokens"] = json!(t.write);
    }
    usage
}

/// Writes `sessions` rollout files under `sessions_dir`, starting `start_unix` and spread over
/// `days` days. Returns how many files were written.
pub fn generate(sessions_dir: &Path, seed: u64, start_unix: i64, days: i64, sessions: usize) -> std::io::Result<usize> {
    let mut rng = Rng(seed | 1);
    for index in 0..sessions {
        // Start times spread over the span, with a bias to late evening so sessions cross midnight.
        let day = start_unix + days * 86_400 * index as i64 / sessions.max(1) as i64;
        let begin = day - day.rem_euclid(86_400) + 79_200 + rng.below(10_800) as i64 - 3_600;
        let stamp = iso(begin);
        // Some finished sessions were moved aside, flat, as Codex archives them.
        let archived = index % 9 == 4;
        let dir = match sessions_dir.parent() {
            Some(home) if archived => home.join("archived_sessions"),
            _ => sessions_dir.join(&stamp[0..4]).join(&stamp[5..7]).join(&stamp[8..10]),
        };
        fs::create_dir_all(&dir)?;
        let name = format!("rollout-{}-{:016x}.jsonl", stamp[..19].replace(':', "-"), rng.next());
        let mut lines: Vec<String> = vec![json!({"timestamp": iso(begin), "type": "session_meta",
            "payload": {"id": format!("{:016x}", rng.next()), "cwd": "/home/dev/project", "cli_version": "0.99.0"}})
        .to_string()];
        let without_model = index % 7 == 3;
        let mut model = MODELS[rng.below(MODELS.len() as u64) as usize];
        if !without_model {
            lines.push(
                json!({"timestamp": iso(begin), "type": "turn_context", "payload": {"model": model, "cwd": "/p"}})
                    .to_string(),
            );
        }
        let mut t = begin;
        let mut totals = Totals::default();
        let turns = 3 + rng.below(25);
        for turn in 0..turns {
            t += 60 + rng.below(1_500) as i64;
            // Resumed later the same file: a long pause, then a new turn context.
            if turn == turns / 2 && index % 4 == 1 {
                t += 5 * 3_600;
                // A restarted process counts its totals from zero again.
                if index % 8 == 1 {
                    totals = Totals::default();
                }
            }
            if !without_model && rng.below(6) == 0 {
                model = MODELS[rng.below(MODELS.len() as u64) as usize];
                lines.push(
                    json!({"timestamp": iso(t), "type": "turn_context", "payload": {"model": model}}).to_string(),
                );
            }
            lines.push(json!({"timestamp": iso(t), "type": "response_item",
                "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "token_count and turn_context in prose"}]}})
            .to_string());
            let input = 200 + rng.below(9_000);
            let cached = rng.below(input + 1);
            let last = Totals {
                input,
                cached,
                // Newer Codex versions count the input written to the prompt cache.
                write: if index % 3 == 0 { rng.below(input - cached + 1) } else { 0 },
                output: 20 + rng.below(1_200),
                reasoning: rng.below(400),
            };
            totals = Totals {
                input: totals.input + last.input,
                cached: totals.cached + last.cached,
                write: totals.write + last.write,
                output: totals.output + last.output,
                reasoning: totals.reasoning + last.reasoning,
            };
            let mut info = json!({"total_token_usage": usage(totals), "model_context_window": 272_000});
            // Some Codex versions wrote only the running totals.
            if rng.below(3) != 0 {
                info["last_token_usage"] = usage(last);
            }
            let rate_limits = json!({"limit_id": "codex", "primary": {"used_percent": 10.0, "window_minutes": 300, "resets_at": t + 9_000}});
            lines.push(
                json!({"timestamp": format!("{}", iso(t)), "type": "event_msg",
                "payload": {"type": "token_count", "info": info.clone(), "rate_limits": rate_limits}})
                .to_string(),
            );
            // The whole event again, totals and last usage alike: Codex repeats it unchanged.
            if rng.below(6) == 0 {
                t += 1;
                lines.push(
                    json!({"timestamp": iso(t), "type": "event_msg", "payload": {"type": "token_count", "info": info, "rate_limits": null}})
                        .to_string(),
                );
            }
            // The same totals again (Codex repeats them after tool calls): no new tokens.
            if rng.below(5) == 0 {
                t += 1;
                lines.push(json!({"timestamp": iso(t), "type": "event_msg",
                    "payload": {"type": "token_count", "info": {"total_token_usage": usage(totals)}, "rate_limits": null}})
                .to_string());
            }
            if rng.below(8) == 0 {
                lines.push(json!({"timestamp": iso(t), "type": "event_msg", "payload": {"type": "token_count", "info": null, "rate_limits": null}}).to_string());
            }
        }
        let mut text = lines.join("\n") + "\n";
        // Interrupted: the process died while writing its last line.
        if index % 5 == 2 {
            text.push_str(r#"{"timestamp":"2026-01-01T00:00:00.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_tok"#);
        }
        fs::write(dir.join(name), text)?;
    }
    Ok(sessions)
}

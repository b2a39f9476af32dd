//! Session logs as the real Codex CLI (npm, pinned) writes them: `codex exec`, offline, against
//! the fake's Responses API, whose rate-limit headers Codex records in its rollout. Headroom reads
//! the numbers from it and counts its tokens once (Codex writes them twice: a `token_count` event
//! and a `token_usage_record`).

use crate::common::Sandbox;
use serde_json::json;

fn codex_session(sb: &mut Sandbox) {
    sb.write_codex_file(
        "config.toml",
        &format!(
            "model = \"gpt-5.1-codex\"\nmodel_provider = \"fake\"\n[model_providers.fake]\nname = \"fake\"\nbase_url = \"{}/v1\"\nwire_api = \"responses\"\nenv_key = \"HEADROOM_TEST_MODEL_KEY\"\n",
            sb.fake.root_url()
        ),
    );
    sb.set("HEADROOM_TEST_MODEL_KEY", "not-a-real-key");
    let (code, stderr) = sb.codex(&["exec", "--skip-git-repo-check", "say hello"], "");
    assert_eq!(code, 0, "codex exec failed: {stderr}");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "codex exec stops under Wine 8 (its SQLite state in WAL mode: \"Lock violation\", os error 33)"
)]
fn numbers_and_tokens_from_a_rollout_codex_wrote() {
    let mut sb = Sandbox::new();
    codex_session(&mut sb);

    let run = sb.run(&["status", "--source", "logs", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["source"], "session-log");
    let windows: Vec<_> = v["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["limit"].clone(), w["kind"].clone(), w["used_percent"].clone()))
        .collect();
    assert_eq!(windows, [(json!("codex"), json!("5h"), json!(37.5)), (json!("codex"), json!("weekly"), json!(12.0))]);

    let run = sb.run(&["usage", "daily", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let totals = &run.json()["totals"];
    assert_eq!(
        totals,
        &json!({"input_tokens": 1200, "cached_input_tokens": 200, "cache_write_input_tokens": 0,
                "output_tokens": 30, "reasoning_output_tokens": 10, "total_tokens": 1230}),
        "counted once"
    );
}

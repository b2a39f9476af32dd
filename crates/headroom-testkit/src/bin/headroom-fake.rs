//! `headroom-fake`: the fake usage service as a process, and a session-history generator.
//!
//!   headroom-fake serve [--port N] [--scenario NAME]
//!   headroom-fake gen-history --out DIR [--files N] [--megabytes M] [--days D] [--seed S]
//!   headroom-fake gen-token-history --out DIR [--start UNIX] [--days D] [--sessions N] [--seed S]
//!   headroom-fake gen-token [--account ID --email E] [--days VALID]   (an access token on stdout)
//!   headroom-fake codex-login --codex-home DIR [--days VALID] [--account ID --email E]   (a test login in auth.json)

use std::path::PathBuf;
use std::process::ExitCode;

use headroom_testkit::fake::Route;
use headroom_testkit::history::{generate, HistorySpec};
use headroom_testkit::jwt::now_unix;
use headroom_testkit::{scenarios, FakeService};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let number = |name: &str, default: u64| flag(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("serve") => {
            let service = match FakeService::start_on(number("--port", 0) as u16) {
                Ok(service) => service,
                Err(e) => {
                    eprintln!("headroom-fake: cannot listen: {e}");
                    return ExitCode::from(1);
                }
            };
            if let Some(name) = flag("--scenario") {
                match scenarios::usage(&name) {
                    Some(response) => service.respond(Route::Usage, response),
                    None => {
                        eprintln!("headroom-fake: no scenario {name}; known: {}", scenarios::NAMES.join(", "));
                        return ExitCode::from(2);
                    }
                }
            }
            println!("{}", service.base_url());
            loop {
                std::thread::park();
            }
        }
        Some("gen-history") => {
            let Some(out) = flag("--out") else {
                eprintln!("headroom-fake gen-history: --out DIR is required");
                return ExitCode::from(2);
            };
            let spec = HistorySpec {
                files: number("--files", 100) as usize,
                total_bytes: number("--megabytes", 10) * 1_000_000,
                days: number("--days", 365) as u32,
                end_unix: now_unix() - 60,
                seed: number("--seed", 7),
            };
            match generate(&PathBuf::from(out), &spec) {
                Ok(history) => {
                    println!("{} files, {} bytes", history.files, history.bytes);
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("headroom-fake gen-history: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Some("gen-token-history") => {
            let Some(out) = flag("--out") else {
                eprintln!("headroom-fake gen-token-history: --out DIR is required");
                return ExitCode::from(2);
            };
            let days = number("--days", 7) as i64;
            let start = number("--start", (now_unix() - days * 86_400) as u64) as i64;
            let sessions = number("--sessions", 30) as usize;
            match headroom_testkit::token_history::generate(
                &PathBuf::from(out),
                number("--seed", 7),
                start,
                days,
                sessions,
            ) {
                Ok(n) => {
                    println!("{n} sessions");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("headroom-fake gen-token-history: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Some("gen-token") => {
            // A ChatGPT access token (test claims, fake signature) on stdout.
            let account = flag("--account").unwrap_or_else(|| "acct-1".into());
            let email = flag("--email").unwrap_or_else(|| "dev@example.com".into());
            let valid = number("--days", 9) as i64 * 86_400;
            println!(
                "{}",
                headroom_testkit::jwt::make_jwt(&headroom_testkit::jwt::TestClaims::plus(&email, &account, valid))
            );
            ExitCode::SUCCESS
        }
        Some("codex-login") => {
            let Some(home) = flag("--codex-home") else {
                eprintln!("headroom-fake codex-login: --codex-home DIR is required");
                return ExitCode::from(2);
            };
            let valid = number("--days", 9) as i64 * 86_400;
            // Another account than the usual one, for several homes side by side.
            let account = flag("--account").unwrap_or_else(|| "acct-1".into());
            let email = flag("--email").unwrap_or_else(|| "dev@example.com".into());
            let claims = headroom_testkit::jwt::TestClaims::plus(&email, &account, valid);
            let token = headroom_testkit::jwt::make_jwt(&claims);
            let json = headroom_testkit::jwt::codex_auth_json(&token, &token, Some(&account));
            let home = PathBuf::from(home);
            match std::fs::create_dir_all(&home).and_then(|_| std::fs::write(home.join("auth.json"), json)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("headroom-fake codex-login: {e}");
                    ExitCode::from(1)
                }
            }
        }
        _ => {
            eprintln!("usage: headroom-fake serve [--port N] [--scenario NAME] | gen-history --out DIR [--files N] [--megabytes M] [--days D]");
            eprintln!("scenarios: {}", scenarios::NAMES.join(", "));
            ExitCode::from(2)
        }
    }
}

//! `headroom fallback`: an OpenAI API key for when the plan runs out. The key lives in the OS
//! keychain only and is read from standard input only.

use crate::output::say;
use crate::secret_input::{read_secret, SecretPrompt};

use crate::error::{CliError, Outcome};
use headroom_core::fallback::{CodexNow, Fallback, OPEN_SESSIONS_KEEP_KEY, OPEN_SESSIONS_KEEP_PLAN};
use headroom_core::login::keychain::OsKeychain;
use headroom_core::login::vault::{mask, Slot, Vault};
use headroom_core::Context;
use secrecy::ExposeSecret;

pub const ARGUMENT_REFUSED: &str = "headroom fallback set-key reads the key from standard input only, so it never shows in your shell history or the process list: run `headroom fallback set-key` and paste it when asked, or pipe it in (`printenv OPENAI_API_KEY | headroom fallback set-key`).";

fn fallback(ctx: &Context) -> Fallback<'static> {
    ctx.fallback(&OsKeychain)
}

fn fail(message: impl std::fmt::Display) -> Outcome {
    Err(CliError::failed(message))
}

pub const KEY_PROMPT: SecretPrompt = SecretPrompt {
    noun: "the API key",
    refused: ARGUMENT_REFUSED,
    pipe_hint: "pipe it in instead (`printenv OPENAI_API_KEY | headroom fallback set-key`)",
};

pub fn set_key(ctx: &Context, arguments: &[String]) -> Outcome {
    let raw = match read_secret(&KEY_PROMPT, arguments) {
        Ok(raw) => raw,
        Err(message) => return fail(message),
    };
    match fallback(ctx).set_key(raw.expose_secret()) {
        Ok(()) => {
            say!("Saved the fallback API key in the OS keychain (\"Headroom\" / fallback-api-key).");
            Ok(0)
        }
        Err(e) => fail(e),
    }
}

pub fn clear_key() -> Outcome {
    match Vault::new(&OsKeychain).clear(Slot::FallbackApiKey) {
        Ok(true) => {
            say!("Removed the fallback API key from the OS keychain.");
            Ok(0)
        }
        Ok(false) => {
            say!("No fallback API key was stored.");
            Ok(0)
        }
        Err(e) => fail(e),
    }
}

pub fn status(ctx: &Context) -> Outcome {
    let fallback = fallback(ctx);
    let key = match fallback.vault.load(Slot::FallbackApiKey) {
        Ok(key) => key,
        Err(e) => return fail(e),
    };
    let saved = match fallback.has_saved_login() {
        Ok(saved) => saved,
        Err(e) => return fail(e),
    };
    let earlier = match fallback.earlier_versions_copy() {
        Ok(earlier) => earlier,
        Err(e) => return fail(e),
    };
    let now = match fallback.codex_now() {
        Ok(now) => now,
        Err(e) => return fail(e),
    };
    say!(
        "{:<14}{}",
        "Fallback key",
        key.as_ref()
            .map(|k| format!("{} (in the OS keychain)", mask(k.expose_secret())))
            .unwrap_or_else(|| "none: add one with `headroom fallback set-key`".into())
    );
    say!(
        "{:<14}{}",
        "Codex uses",
        match now {
            CodexNow::ChatGpt => "your ChatGPT login (plan quota)",
            CodexNow::FallbackKey => "the fallback API key (billed at API rates)",
            CodexNow::OtherApiKey => "an API key that is not Headroom's",
            CodexNow::NoLogin => "no login",
        }
    );
    say!(
        "{:<14}{}",
        "Saved login",
        match (saved, &earlier) {
            (true, _) =>
                "your ChatGPT login is saved in the OS keychain (`headroom fallback restore` puts it back)".to_string(),
            // Offered only where it could go back: a home on Headroom's key.
            (false, Some(who)) => format!(
                "a ChatGPT login{} saved by an earlier version of Headroom, which did not note its Codex home{}",
                who.as_ref().map(|w| format!(" ({w})")).unwrap_or_default(),
                if now == CodexNow::FallbackKey {
                    " (`headroom fallback restore --from-earlier-version` puts it back into this one)"
                } else {
                    ""
                }
            ),
            (false, None) => "none".to_string(),
        }
    );
    Ok(0)
}

pub fn switch(ctx: &Context) -> Outcome {
    match fallback(ctx).switch() {
        Ok(()) => {
            say!("Codex now uses the fallback API key (billed at API rates). Your ChatGPT login is saved in the OS keychain; `headroom fallback restore` puts it back.");
            say!("{OPEN_SESSIONS_KEEP_PLAN}");
            Ok(0)
        }
        Err(e) => fail(e),
    }
}

pub fn restore(ctx: &Context, from_earlier_version: bool) -> Outcome {
    let fallback = fallback(ctx);
    let restored = if from_earlier_version { fallback.restore_earlier_versions_copy() } else { fallback.restore() };
    match restored {
        Ok(true) => {
            say!("Codex uses your ChatGPT login again.");
            say!("{OPEN_SESSIONS_KEEP_KEY}");
            Ok(0)
        }
        Ok(false) => {
            say!("Codex already uses your ChatGPT login: nothing to restore.");
            Ok(0)
        }
        Err(e) => fail(e),
    }
}

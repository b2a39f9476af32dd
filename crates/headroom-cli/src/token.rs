//! `headroom token set|status|clear`: a ChatGPT token pasted by the user, kept in the OS keychain
//! and nowhere else. The token is read from standard input only, never from an argument, so it
//! cannot end up in shell history or process listings.

use crate::output::say;
use crate::secret_input::{read_secret, SecretPrompt};

use crate::error::{CliError, Outcome};
use chrono::Utc;
use headroom_core::environment::ENV_ACCESS_TOKEN;
use headroom_core::humanize::{clock, relative, used_and_left};
use headroom_core::login::credentials::Credential;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::login::paste::{classify, Paste};
use headroom_core::login::pasted_tokens::{PastedEntry, PastedTokens};
use headroom_core::login::vault::mask;
use headroom_core::model::CredentialOrigin;
use headroom_core::sources::client::ExchangeError;
use headroom_core::status::fetch_live;
use headroom_core::Context;
use secrecy::ExposeSecret;

pub const ARGUMENT_REFUSED: &str = "headroom token set reads the token from standard input only, so it never shows in your shell history or the process list: run `headroom token set` and paste it when asked, or pipe it in.";

pub const TOKEN_PROMPT: SecretPrompt = SecretPrompt {
    noun: "the token",
    refused: ARGUMENT_REFUSED,
    pipe_hint: "pipe it in instead, e.g. `xclip -o | headroom token set`",
};

pub fn set(ctx: &Context, arguments: &[String]) -> Outcome {
    let raw = match read_secret(&TOKEN_PROMPT, arguments) {
        Ok(raw) => raw,
        Err(message) => return Err(CliError::failed(message)),
    };
    let now = Utc::now();
    let token = match classify(raw.expose_secret(), now) {
        Ok(Paste::AccessToken(token)) => token,
        Ok(Paste::SessionCookie(cookie)) => {
            let exchanged = ctx.client().map_err(|e| e.to_string()).and_then(|client| {
                crate::runtime::single_threaded()?
                    .block_on(client.exchange_session_cookie(&cookie))
                    .map_err(|e: ExchangeError| e.to_string())
            });
            match exchanged {
                Ok(exchanged) => {
                    eprintln!("Exchanged the session cookie for an access token.");
                    exchanged.access_token
                }
                Err(message) => return Err(CliError::failed(message)),
            }
        }
        Err(refused) => return Err(CliError::failed(refused)),
    };

    let tokens = PastedTokens::new(&OsKeychain);
    // A token for an account that has one already replaces it; another account's gets its own entry.
    let entry = match tokens.store(&token) {
        Ok(entry) => entry,
        Err(e) => return Err(CliError::failed(e)),
    };
    // Read it back: a keychain that accepts a write and returns something else is no keychain.
    match tokens.load(&entry) {
        Ok(Some(stored)) if stored.expose_secret() == token.expose_secret() => {}
        Ok(_) => {
            return Err(CliError::failed("The OS keychain did not return the token just saved: check your keyring (for example with `secret-tool search service Headroom`) and try again."));
        }
        Err(e) => return Err(CliError::failed(e)),
    }
    // The accounts are looked for once more, so the one this token names is remembered (no secret)
    // and stays in every view even when the keychain is locked later.
    let settings = headroom_core::settings::load_default().0;
    let _ = headroom_core::accounts::roster::Roster::find(&ctx.env, &settings, &OsKeychain);
    let credential = Credential::new(CredentialOrigin::Keychain, entry.location(), token, None, None);
    say!(
        "Saved {} in the OS keychain (\"Headroom\" / {}).",
        mask(credential.access_token().expose_secret()),
        entry.name()
    );
    say!("{}", describe_account(&credential, now));
    if ctx.env.access_token.is_some() {
        say!("Note: {ENV_ACCESS_TOKEN} is set and comes first; unset it to use the pasted token.");
    }
    Ok(0)
}

fn describe_account(credential: &Credential, now: chrono::DateTime<Utc>) -> String {
    let claims = &credential.claims;
    let mut parts = Vec::new();
    parts.extend(claims.email.clone());
    parts.extend(claims.plan.clone());
    parts.extend(credential.account_id.as_ref().map(|a| format!("account {a}")));
    parts.push(match claims.expires_at {
        Some(at) if at <= now => format!("EXPIRED {}", relative(at, now)),
        Some(at) => format!("expires {} ({})", relative(at, now), clock(at, now)),
        None => "expiry unknown".into(),
    });
    parts.join(" · ")
}

pub fn status(ctx: &Context, check: bool) -> Outcome {
    let tokens = PastedTokens::new(&OsKeychain);
    let entries = match tokens.entries() {
        Ok(entries) if entries.is_empty() => {
            return Err(CliError::refused("No pasted token is stored: paste one with `headroom token set`."));
        }
        Ok(entries) => entries,
        Err(e) => return Err(CliError::failed(e)),
    };
    let mut code = 0;
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            say!("");
        }
        let token = match tokens.load(entry) {
            Ok(Some(token)) => token,
            Ok(None) => continue,
            Err(e) => {
                eprintln!("{e}");
                code = code.max(1);
                continue;
            }
        };
        code = code.max(one_status(ctx, check, entry, token));
    }
    Ok(code)
}

/// One stored token's lines; a check that fails is said beside them (the other tokens are still
/// listed), and the worst code wins.
fn one_status(ctx: &Context, check: bool, entry: &PastedEntry, token: secrecy::SecretString) -> u8 {
    let now = Utc::now();
    let credential = Credential::new(CredentialOrigin::Keychain, entry.location(), token, None, None);
    say!("{:<10}{}  ({})", "Token", mask(credential.access_token().expose_secret()), entry.location());
    say!("{:<10}{}", "Account", describe_account(&credential, now));
    say!(
        "{:<10}{}",
        "In use",
        if ctx.env.access_token.is_some() {
            format!("no: {ENV_ACCESS_TOKEN} is set and comes first")
        } else {
            "yes: it comes before Codex's own login".into()
        }
    );
    let expired = credential.claims.is_expired(now);
    if !check {
        return if expired { 3 } else { 0 };
    }
    let runtime = match crate::runtime::single_threaded() {
        Ok(runtime) => runtime,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    match runtime.block_on(fetch_live(ctx, &credential, now)) {
        Ok(snapshot) => {
            let left = snapshot
                .tightest_window()
                .map(|w| format!(" ({}% of the {} window left)", used_and_left(w.used_percent).1, w.kind.label()))
                .unwrap_or_default();
            say!("{:<10}accepted by the usage service{left}", "Check");
            0
        }
        Err(error) => {
            say!("{:<10}failed", "Check");
            eprintln!("{error}");
            error.exit_code()
        }
    }
}

pub fn clear() -> Outcome {
    match PastedTokens::new(&OsKeychain).clear() {
        Ok(1) => {
            say!("Removed the pasted token from the OS keychain.");
            Ok(0)
        }
        Ok(0) => {
            say!("No pasted token was stored.");
            Ok(0)
        }
        Ok(n) => {
            say!("Removed {n} pasted tokens from the OS keychain.");
            Ok(0)
        }
        Err(e) => Err(CliError::failed(e)),
    }
}

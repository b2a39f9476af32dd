//! Reading a secret (a token, an API key) the only ways Headroom accepts: typed hidden at a
//! terminal, or piped into standard input. Never from an argument, where it would end up in
//! shell history and the process list.

use std::io::{IsTerminal, Read};

use secrecy::SecretString;

/// Anything longer is not a secret of ours; stop reading rather than fill memory.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// What is being asked for, in the words each message needs.
pub struct SecretPrompt {
    /// "the token", "the API key"
    pub noun: &'static str,
    /// Said when the secret was given as an argument.
    pub refused: &'static str,
    /// How to pipe it in instead, for when the terminal cannot be read.
    pub pipe_hint: &'static str,
}

/// The secret, or the one sentence that says why it could not be read. Arguments, if any,
/// are refused without being looked at.
pub fn read_secret(prompt: &SecretPrompt, arguments: &[String]) -> Result<SecretString, String> {
    if !arguments.is_empty() {
        return Err(prompt.refused.to_string());
    }
    let noun = prompt.noun;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Paste {noun} (the input stays hidden) and press Enter: ");
        return rpassword::read_password().map(SecretString::from).map_err(|e| {
            format!("{} could not be read from the terminal ({e}): {}.", capitalized(noun), prompt.pipe_hint)
        });
    }
    let mut text = String::new();
    stdin
        .lock()
        .take(MAX_SECRET_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("Standard input could not be read as text ({e}): paste {noun} itself."))?;
    Ok(SecretString::from(text))
}

fn capitalized(noun: &str) -> String {
    let mut chars = noun.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argument_is_refused_unread() {
        let prompt = SecretPrompt { noun: "the token", refused: "refused", pipe_hint: "pipe it" };
        assert_eq!(read_secret(&prompt, &["at-secret".into()]).unwrap_err(), "refused");
    }

    #[test]
    fn sentences_start_with_a_capital() {
        assert_eq!(capitalized("the API key"), "The API key");
    }
}

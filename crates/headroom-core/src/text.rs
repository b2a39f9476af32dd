//! Small text helpers that know nothing of the domain, so the model and the views can both
//! use them without depending on each other.

/// The first 8 bytes of `bytes`' SHA-256, in hex: a short name for a path or a secret that
/// says nothing of it (Codex names its keychain accounts after its home folder this way).
pub fn short_digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// A sentence without its closing full stop, to set inside another sentence.
pub fn without_full_stop(sentence: &str) -> &str {
    sentence.trim_end().trim_end_matches('.')
}

/// A sentence to set after a comma: "The usage service failed" → "the usage service failed",
/// but a name keeps its capital ("HTTP 500", "OpenAI's …", "Codex's login …").
pub fn decapitalise(sentence: &str) -> String {
    const NAMES: [&str; 4] = ["Codex", "Headroom", "ChatGPT", "I"];
    let word = sentence.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("");
    let mut chars = word.chars();
    let plain = chars.next().is_some_and(char::is_uppercase) && !chars.any(char::is_uppercase);
    if !plain || NAMES.contains(&word) {
        return sentence.to_string();
    }
    let first = word.chars().next().unwrap_or_default();
    first.to_lowercase().chain(sentence[first.len_utf8()..].chars()).collect()
}

/// A sentence up to its first ": " outside brackets (what happened, without the next step):
/// "Could not reach chatgpt.com (connection failed: refused): check …" → "Could not reach
/// chatgpt.com (connection failed: refused)".
pub fn first_clause(sentence: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in sentence.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ':' if depth <= 0 && sentence[i + 1..].starts_with(' ') => return &sentence[..i],
            _ => {}
        }
    }
    sentence
}

/// The line (from 1) a byte offset of `text` falls on: where a parser's error points.
pub fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

/// "plus" → "Plus".
pub fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `http://user:secret@proxy:3128` → `http://***@proxy:3128`: every URL Headroom prints or logs
/// goes through this, so a password in a base URL or a proxy never shows.
pub fn mask_userinfo(url: &str) -> String {
    // The authority is what follows `scheme://` up to the path, query or fragment; user info is
    // the part of it before its last `@`.
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &url[start + at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_clause_ends_outside_brackets() {
        assert_eq!(
            first_clause("Could not reach chatgpt.com (connection failed: refused): check your network."),
            "Could not reach chatgpt.com (connection failed: refused)"
        );
        assert_eq!(
            first_clause("The usage service failed (HTTP 500): try again."),
            "The usage service failed (HTTP 500)"
        );
        assert_eq!(first_clause("No colon here."), "No colon here.");
    }

    #[test]
    fn decapitalising_keeps_names() {
        assert_eq!(decapitalise("The usage service failed."), "the usage service failed.");
        assert_eq!(decapitalise("HTTP 500 came back"), "HTTP 500 came back");
        assert_eq!(decapitalise("OpenAI's service"), "OpenAI's service");
        assert_eq!(decapitalise("Codex's login expired"), "Codex's login expired");
        assert_eq!(decapitalise(""), "");
    }

    #[test]
    fn proxy_passwords_are_masked() {
        assert_eq!(mask_userinfo("http://bob:pw@proxy:3128"), "http://***@proxy:3128");
        assert_eq!(mask_userinfo("bob:pw@proxy:3128"), "***@proxy:3128");
        assert_eq!(mask_userinfo("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(mask_userinfo("localhost,127.0.0.1"), "localhost,127.0.0.1");
        assert_eq!(mask_userinfo("https://user:pw@host.example/backend-api"), "https://***@host.example/backend-api");
        assert_eq!(mask_userinfo("https://token@host.example/x/wham/usage"), "https://***@host.example/x/wham/usage");
        // An @ in the path is not user info.
        assert_eq!(mask_userinfo("https://host.example/@me/backend-api"), "https://host.example/@me/backend-api");
    }
}

//! Every token pasted into Headroom, one keychain entry per account. The first lives in
//! `"Headroom" / access-token`, as it always has, so a token pasted by an earlier version is
//! still found; each further account's in `access-token:<account id or email>`. The keychain
//! cannot list its entries on every platform, so the names of the further entries are kept in
//! one more entry, `pasted-tokens` (names only; no token is in it, and nothing is in a file).
//!
//! A token for an account that already has one replaces it in place (the keychain entry is
//! updated, never deleted and re-created).

use secrecy::{ExposeSecret, SecretString};

use crate::login::codex_login::LoginReadError;
use crate::login::jwt::decode_claims;
use crate::login::keychain::{Keychain, KeychainError};
use crate::login::split_entries::SplitEntries;
use crate::login::vault::{PastedTokenSource, Slot, VaultError, SERVICE};

/// The entry listing the further entries' names, one per line.
const INDEX: &str = "pasted-tokens";

/// One pasted token's keychain entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PastedEntry(String);

impl PastedEntry {
    /// The entry every version has used for the first pasted token.
    pub fn first() -> PastedEntry {
        PastedEntry(Slot::AccessToken.account().to_string())
    }

    /// An entry by its keychain name, when it is one of the pasted tokens' names.
    pub fn from_name(name: &str) -> Option<PastedEntry> {
        let first = Slot::AccessToken.account();
        (name == first
            || name.strip_prefix(first).and_then(|rest| rest.strip_prefix(':')).is_some_and(|r| !r.is_empty()))
        .then(|| PastedEntry(name.to_string()))
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    /// Where it lives, for messages: `"Headroom" / access-token:work@example.com in the OS keychain`.
    pub fn location(&self) -> String {
        format!("\"{SERVICE}\" / {} in the OS keychain", self.0)
    }
}

/// Who a token belongs to, as far as it says: the workspace and the person in it
/// ([`crate::model::identity_key`]), so a colleague's token in the same workspace is another
/// account, never a replacement. Opaque tokens (Codex access tokens) say nothing, and each is
/// then an account of its own.
pub fn token_identity(token: &SecretString) -> Option<String> {
    let claims = decode_claims(token.expose_secret()).ok()?;
    crate::model::identity_key(claims.account_id.as_deref(), claims.user_id.as_deref(), claims.email.as_deref())
}

/// The pasted tokens in the OS keychain (split in parts where one entry is too small for one).
pub struct PastedTokens<'a> {
    keychain: SplitEntries<'a>,
}

fn failed(source: KeychainError, nothing_saved: bool) -> VaultError {
    VaultError { source, nothing_saved }
}

impl<'a> PastedTokens<'a> {
    pub fn new(keychain: &'a dyn Keychain) -> PastedTokens<'a> {
        PastedTokens { keychain: SplitEntries::new(keychain) }
    }

    /// The entries that hold a token, the first entry first, then in the order they were added.
    pub fn entries(&self) -> Result<Vec<PastedEntry>, VaultError> {
        let mut entries = Vec::new();
        if self.load(&PastedEntry::first())?.is_some() {
            entries.push(PastedEntry::first());
        }
        entries.extend(self.index()?);
        Ok(entries)
    }

    /// The further entries' names, as listed.
    fn index(&self) -> Result<Vec<PastedEntry>, VaultError> {
        let listed = self.keychain.read(SERVICE, INDEX).map_err(|e| failed(e, false))?.unwrap_or_default();
        let mut names: Vec<PastedEntry> =
            String::from_utf8_lossy(&listed).lines().filter_map(|l| PastedEntry::from_name(l.trim())).collect();
        names.retain(|n| *n != PastedEntry::first());
        names.dedup();
        Ok(names)
    }

    fn write_index(&self, names: &[PastedEntry]) -> Result<(), VaultError> {
        if names.is_empty() {
            return self.keychain.delete(SERVICE, INDEX).map(|_| ()).map_err(|e| failed(e, false));
        }
        let text: Vec<&str> = names.iter().map(PastedEntry::name).collect();
        self.keychain.write(SERVICE, INDEX, text.join("\n").as_bytes()).map_err(|e| failed(e, true))
    }

    pub fn load(&self, entry: &PastedEntry) -> Result<Option<SecretString>, VaultError> {
        match self.keychain.read(SERVICE, entry.name()).map_err(|e| failed(e, false))? {
            Some(bytes) => String::from_utf8(bytes)
                .map(|t| Some(SecretString::from(t)))
                .map_err(|_| failed(KeychainError::Other(format!("{} is not text", entry.location())), false)),
            None => Ok(None),
        }
    }

    /// Keeps a token: in place of the token for the same account when there is one, else in the
    /// first entry when it is free, else in an entry of its own. Returns the entry it went to.
    pub fn store(&self, token: &SecretString) -> Result<PastedEntry, VaultError> {
        // Whatever step failed, nothing was stored.
        self.store_in_place(token).map_err(|e| VaultError { nothing_saved: true, ..e })
    }

    fn store_in_place(&self, token: &SecretString) -> Result<PastedEntry, VaultError> {
        let identity = token_identity(token);
        let entries = self.entries()?;
        let mut target = None;
        for entry in &entries {
            let held = self.load(entry)?;
            let same_token = held.as_ref().is_some_and(|h| h.expose_secret() == token.expose_secret());
            let same_account = identity.is_some() && held.as_ref().and_then(token_identity) == identity;
            if same_token || same_account {
                target = Some(entry.clone());
                break;
            }
        }
        let target = match target {
            Some(entry) => entry,
            None if !entries.contains(&PastedEntry::first()) => PastedEntry::first(),
            None => {
                let taken: Vec<&str> = entries.iter().map(PastedEntry::name).collect();
                let base = format!("{}:{}", Slot::AccessToken.account(), identity.as_deref().unwrap_or("token"));
                let name = std::iter::once(base.clone())
                    .chain((2..).map(|n| format!("{base}-{n}")))
                    .find(|name| !taken.contains(&name.as_str()))
                    .expect("an unused name");
                let entry = PastedEntry(name);
                let mut index = self.index()?;
                index.push(entry.clone());
                self.write_index(&index)?;
                entry
            }
        };
        self.keychain.write(SERVICE, target.name(), token.expose_secret().as_bytes()).map_err(|e| failed(e, true))?;
        Ok(target)
    }

    /// Removes one pasted token; `Ok(false)` when the entry held none.
    pub fn remove(&self, entry: &PastedEntry) -> Result<bool, VaultError> {
        let removed = self.keychain.delete(SERVICE, entry.name()).map_err(|e| failed(e, false))?;
        let index = self.index()?;
        if index.contains(entry) {
            let rest: Vec<PastedEntry> = index.into_iter().filter(|e| e != entry).collect();
            self.write_index(&rest)?;
        }
        Ok(removed)
    }

    /// Removes every pasted token; returns how many there were.
    pub fn clear(&self) -> Result<usize, VaultError> {
        let mut removed = 0;
        for entry in self.entries()? {
            removed += usize::from(self.keychain.delete(SERVICE, entry.name()).map_err(|e| failed(e, false))?);
        }
        self.write_index(&[])?;
        Ok(removed)
    }

    /// One entry as a source for discovery.
    pub fn source(&'a self, entry: PastedEntry) -> OnePastedToken<'a> {
        OnePastedToken { tokens: self, entry }
    }
}

/// One pasted token, as discovery reads it.
pub struct OnePastedToken<'a> {
    tokens: &'a PastedTokens<'a>,
    entry: PastedEntry,
}

impl PastedTokenSource for OnePastedToken<'_> {
    fn pasted_token(&self) -> Result<Option<SecretString>, LoginReadError> {
        self.tokens.load(&self.entry).map_err(|e| LoginReadError::Keychain(e.source))
    }

    fn location(&self) -> String {
        self.entry.location()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;
    use headroom_testkit::jwt::{make_jwt, TestClaims};

    fn token(email: &str, account: &str) -> SecretString {
        SecretString::from(make_jwt(&TestClaims::plus(email, account, 3_600)))
    }

    fn held(tokens: &PastedTokens, entry: &PastedEntry) -> String {
        tokens.load(entry).unwrap().unwrap().expose_secret().to_string()
    }

    #[test]
    fn each_account_gets_its_own_entry_and_the_first_keeps_the_old_name() {
        let keychain = MemoryKeychain::default();
        let tokens = PastedTokens::new(&keychain);
        assert!(tokens.entries().unwrap().is_empty());
        let personal = token("me@example.com", "acct-me");
        let work = token("work@example.com", "acct-work");
        assert_eq!(tokens.store(&personal).unwrap().name(), "access-token");
        assert_eq!(tokens.store(&work).unwrap().name(), "access-token:acct-work/user-work");
        assert_eq!(
            tokens.entries().unwrap().iter().map(PastedEntry::name).collect::<Vec<_>>(),
            ["access-token", "access-token:acct-work/user-work"]
        );
        // The index holds names only.
        let index = String::from_utf8(keychain.read(SERVICE, INDEX).unwrap().unwrap()).unwrap();
        assert_eq!(index, "access-token:acct-work/user-work");
        assert_eq!(held(&tokens, &PastedEntry::first()), personal.expose_secret());
    }

    #[test]
    fn a_newer_token_for_the_same_account_replaces_the_older_in_place() {
        let keychain = MemoryKeychain::default();
        let tokens = PastedTokens::new(&keychain);
        tokens.store(&token("me@example.com", "acct-me")).unwrap();
        tokens.store(&token("work@example.com", "acct-work")).unwrap();
        let newer = SecretString::from(make_jwt(&TestClaims::plus("work@example.com", "acct-work", 7_200)));
        assert_eq!(tokens.store(&newer).unwrap().name(), "access-token:acct-work/user-work");
        assert_eq!(tokens.entries().unwrap().len(), 2);
        assert_eq!(
            held(&tokens, &PastedEntry::from_name("access-token:acct-work/user-work").unwrap()),
            newer.expose_secret()
        );
        // The same opaque token twice is one entry too; two different ones are two.
        tokens.store(&SecretString::from("at-opaque-one-0123456789".to_string())).unwrap();
        tokens.store(&SecretString::from("at-opaque-one-0123456789".to_string())).unwrap();
        let other = tokens.store(&SecretString::from("at-opaque-two-0123456789".to_string())).unwrap();
        assert_eq!(other.name(), "access-token:token-2");
        assert_eq!(tokens.entries().unwrap().len(), 4);
    }

    #[test]
    fn a_colleagues_token_in_the_same_workspace_never_replaces_yours() {
        let keychain = MemoryKeychain::default();
        let tokens = PastedTokens::new(&keychain);
        let alice = token("alice@corp.example", "acct-team");
        let bob = token("bob@corp.example", "acct-team");
        let first = tokens.store(&alice).unwrap();
        let second = tokens.store(&bob).unwrap();
        assert_ne!(first, second, "two people, two entries");
        assert_eq!(held(&tokens, &first), alice.expose_secret());
        assert_eq!(held(&tokens, &second), bob.expose_secret());
        assert_eq!(token_identity(&bob).as_deref(), Some("acct-team/user-bob"));
    }

    #[test]
    fn removing_one_keeps_the_others_and_clear_empties_all() {
        let keychain = MemoryKeychain::default();
        let tokens = PastedTokens::new(&keychain);
        tokens.store(&token("a@example.com", "acct-a")).unwrap();
        let b = tokens.store(&token("b@example.com", "acct-b")).unwrap();
        tokens.store(&token("c@example.com", "acct-c")).unwrap();
        assert!(tokens.remove(&b).unwrap());
        assert!(!tokens.remove(&b).unwrap());
        let names: Vec<String> = tokens.entries().unwrap().iter().map(|e| e.name().to_string()).collect();
        assert_eq!(names, ["access-token", "access-token:acct-c/user-c"]);
        // The first entry freed is used again by the next account.
        assert!(tokens.remove(&PastedEntry::first()).unwrap());
        assert_eq!(tokens.store(&token("d@example.com", "acct-d")).unwrap(), PastedEntry::first());
        assert_eq!(tokens.clear().unwrap(), 2);
        assert!(tokens.entries().unwrap().is_empty());
        assert_eq!(keychain.read(SERVICE, INDEX).unwrap(), None);
    }

    #[test]
    fn names_that_are_not_pasted_tokens_are_not_read() {
        assert_eq!(PastedEntry::from_name("fallback-api-key"), None);
        assert_eq!(PastedEntry::from_name("access-token:"), None);
        assert_eq!(PastedEntry::from_name("access-token:x").unwrap().name(), "access-token:x");
        let keychain = MemoryKeychain::default();
        keychain.insert(SERVICE, INDEX, b"fallback-api-key\naccess-token:x\n");
        keychain.insert(SERVICE, "access-token:x", b"tok");
        let names: Vec<String> =
            PastedTokens::new(&keychain).entries().unwrap().iter().map(|e| e.name().to_string()).collect();
        assert_eq!(names, ["access-token:x"]);
    }

    #[test]
    fn a_locked_keychain_saves_nothing_and_says_so() {
        let locked = KeychainError::Locked("collection is locked".into());
        let keychain = MemoryKeychain::failing(locked.clone());
        let error = PastedTokens::new(&keychain).store(&token("a@example.com", "acct-a")).unwrap_err();
        assert!(error.to_string().ends_with(&format!("{}. Nothing was saved.", locked.remedy())), "{error}");
    }
}

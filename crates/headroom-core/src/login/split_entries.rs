//! Headroom's own secrets that are longer than one keychain entry holds.
//!
//! A Windows credential holds at most 2560 bytes, 1280 characters of text as keyring stores
//! it (UTF-16); a ChatGPT access token is about 2000 characters and the Codex login saved before
//! a fallback switch (id, access and refresh tokens) 4000 to 6000. On such a keychain a longer
//! secret is kept in parts, each an entry of its own named `<account>#<digest>.<n>`, and the
//! entry itself holds a header that names them: `headroom-parts:1:<count>:<digest>`, where the
//! digest is the first 8 bytes of the secret's SHA-256 in hex. The parts are written before the
//! header and the old parts removed after it, so a crash at any step leaves the old secret or the
//! new one whole, and the digest tells a whole secret from a mix of two. Where an entry holds
//! any length (the Secret Service, the macOS Keychain) a secret is one entry, as it always was.
//!
//! Only Headroom's own entries go through here: Codex's are read and written as Codex does.

use crate::login::keychain::{text_units, Keychain, KeychainError};

const HEADER: &str = "headroom-parts:1:";

/// A keychain that splits what does not fit in one entry.
#[derive(Clone, Copy)]
pub struct SplitEntries<'a> {
    keychain: &'a dyn Keychain,
}

/// A split secret's header: how many parts, and the digest that names them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Header {
    count: usize,
    digest: String,
}

impl Header {
    fn of(secret: &[u8], count: usize) -> Header {
        Header { count, digest: crate::text::short_digest(secret) }
    }

    fn parse(entry: &[u8]) -> Option<Header> {
        let rest = std::str::from_utf8(entry).ok()?.strip_prefix(HEADER)?;
        let (count, digest) = rest.split_once(':')?;
        let count = count.parse().ok().filter(|c| *c > 0)?;
        (digest.len() == 16 && digest.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Header { count, digest: digest.to_string() })
    }

    fn text(&self) -> String {
        format!("{HEADER}{}:{}", self.count, self.digest)
    }

    fn parts(&self, account: &str) -> Vec<String> {
        (1..=self.count).map(|n| format!("{account}#{}.{n}", self.digest)).collect()
    }
}

impl<'a> SplitEntries<'a> {
    pub fn new(keychain: &'a dyn Keychain) -> SplitEntries<'a> {
        SplitEntries { keychain }
    }

    /// The header an entry holds now, when it holds one. A keychain without a limit never holds
    /// one, and is not asked (a write or a delete costs one keychain call there, as before).
    fn header_of(&self, service: &str, account: &str) -> Result<Option<Header>, KeychainError> {
        if self.keychain.entry_limit().is_none() {
            return Ok(None);
        }
        Ok(self.keychain.read(service, account)?.as_deref().and_then(Header::parse))
    }

    fn remove_parts(&self, service: &str, account: &str, header: &Header) -> Result<(), KeychainError> {
        for part in header.parts(account) {
            self.keychain.delete(service, &part)?;
        }
        Ok(())
    }
}

impl Keychain for SplitEntries<'_> {
    fn read(&self, service: &str, account: &str) -> Result<Option<Vec<u8>>, KeychainError> {
        let Some(entry) = self.keychain.read(service, account)? else { return Ok(None) };
        let Some(header) = Header::parse(&entry) else { return Ok(Some(entry)) };
        let damaged = || {
            KeychainError::Other(format!(
                "\"{service}\" / {account} is kept in {} parts and they do not add up (one is missing or changed)",
                header.count
            ))
        };
        let mut whole = Vec::new();
        for part in header.parts(account) {
            whole.extend(self.keychain.read(service, &part)?.ok_or_else(damaged)?);
        }
        if Header::of(&whole, header.count) != header {
            return Err(damaged());
        }
        Ok(Some(whole))
    }

    fn write(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
        let old = self.header_of(service, account)?;
        let new = match self.keychain.entry_limit() {
            Some(limit) if text_units(secret) > limit => {
                let pieces = split(secret, limit);
                let header = Header::of(secret, pieces.len());
                let written = header
                    .parts(account)
                    .iter()
                    .zip(&pieces)
                    .try_for_each(|(part, piece)| self.keychain.write(service, part, piece));
                if let Err(e) = written.and_then(|()| self.keychain.write(service, account, header.text().as_bytes())) {
                    // The old secret is whole; the new one's parts would only be litter (unless
                    // they are the old ones: the same secret again).
                    if old.as_ref() != Some(&header) {
                        let _ = self.remove_parts(service, account, &header);
                    }
                    return Err(e);
                }
                Some(header)
            }
            _ => {
                self.keychain.write(service, account, secret)?;
                None
            }
        };
        match old {
            // The same secret again has the same parts: they are the new ones.
            Some(old) if Some(&old) != new.as_ref() => self.remove_parts(service, account, &old),
            _ => Ok(()),
        }
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeychainError> {
        if let Some(header) = self.header_of(service, account)? {
            self.remove_parts(service, account, &header)?;
        }
        self.keychain.delete(service, account)
    }

    fn entry_limit(&self) -> Option<usize> {
        None
    }
}

/// `secret` in pieces of at most `limit` UTF-16 units each, cut between characters (between
/// bytes when it is not text).
fn split(secret: &[u8], limit: usize) -> Vec<Vec<u8>> {
    let limit = limit.max(2);
    let Ok(text) = std::str::from_utf8(secret) else {
        return secret.chunks(limit).map(<[u8]>::to_vec).collect();
    };
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut units = 0;
    for c in text.chars() {
        if units + c.len_utf16() > limit {
            pieces.push(std::mem::take(&mut piece).into_bytes());
            units = 0;
        }
        piece.push(c);
        units += c.len_utf16();
    }
    if !piece.is_empty() {
        pieces.push(piece.into_bytes());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;

    fn long_text(units: usize) -> String {
        // Mixed widths: ASCII, a two-byte character and one outside the BMP (two units).
        "aé😀".chars().cycle().take(units).collect()
    }

    #[test]
    fn a_secret_that_fits_is_one_entry_and_a_longer_one_goes_in_parts() {
        let keychain = MemoryKeychain::with_entry_limit(100);
        let entries = SplitEntries::new(&keychain);
        entries.write("Headroom", "short", b"fits").unwrap();
        assert_eq!(keychain.read("Headroom", "short").unwrap().as_deref(), Some(&b"fits"[..]));

        let long = long_text(1000);
        entries.write("Headroom", "saved", long.as_bytes()).unwrap();
        assert_eq!(entries.read("Headroom", "saved").unwrap().as_deref(), Some(long.as_bytes()));
        let header = Header::parse(&keychain.read("Headroom", "saved").unwrap().unwrap()).unwrap();
        assert_eq!(header.count, 14, "1333 units in parts of at most 100, never cutting a character");
        for part in header.parts("saved") {
            assert!(text_units(&keychain.read("Headroom", &part).unwrap().unwrap()) <= 100);
        }
        // A store without a limit keeps it whole.
        let unlimited = MemoryKeychain::default();
        SplitEntries::new(&unlimited).write("Headroom", "saved", long.as_bytes()).unwrap();
        assert_eq!(unlimited.accounts("Headroom"), ["saved"]);
    }

    #[test]
    fn replacing_and_deleting_leave_no_parts_behind() {
        let keychain = MemoryKeychain::with_entry_limit(50);
        let entries = SplitEntries::new(&keychain);
        entries.write("Headroom", "saved", long_text(300).as_bytes()).unwrap();
        entries.write("Headroom", "saved", long_text(300).as_bytes()).unwrap();
        let parts = keychain.accounts("Headroom").len() - 1;
        entries.write("Headroom", "saved", long_text(120).as_bytes()).unwrap();
        assert!(keychain.accounts("Headroom").len() - 1 < parts, "the old parts went");
        assert_eq!(entries.read("Headroom", "saved").unwrap().unwrap(), long_text(120).into_bytes());
        entries.write("Headroom", "saved", b"short again").unwrap();
        assert_eq!(keychain.accounts("Headroom"), ["saved"]);
        entries.write("Headroom", "saved", long_text(120).as_bytes()).unwrap();
        assert!(entries.delete("Headroom", "saved").unwrap());
        assert!(keychain.accounts("Headroom").is_empty());
        assert!(!entries.delete("Headroom", "saved").unwrap());
    }

    #[test]
    fn a_missing_or_changed_part_is_named_not_read_as_a_shorter_secret() {
        let keychain = MemoryKeychain::with_entry_limit(50);
        let entries = SplitEntries::new(&keychain);
        entries.write("Headroom", "saved", long_text(200).as_bytes()).unwrap();
        let header = Header::parse(&keychain.read("Headroom", "saved").unwrap().unwrap()).unwrap();
        let parts = header.parts("saved");
        keychain.insert("Headroom", &parts[1], b"changed");
        let error = entries.read("Headroom", "saved").unwrap_err().to_string();
        assert!(error.contains("do not add up"), "{error}");
        keychain.delete("Headroom", &parts[1]).unwrap();
        assert!(entries.read("Headroom", "saved").is_err());
    }

    #[test]
    fn a_crash_between_parts_and_header_leaves_the_old_secret_whole() {
        let keychain = MemoryKeychain::with_entry_limit(50);
        let entries = SplitEntries::new(&keychain);
        let old = long_text(200);
        entries.write("Headroom", "saved", old.as_bytes()).unwrap();
        // The new secret's parts are written, then the process dies before its header.
        let new = long_text(220);
        let header = Header::of(new.as_bytes(), split(new.as_bytes(), 50).len());
        for (part, piece) in header.parts("saved").iter().zip(split(new.as_bytes(), 50)) {
            keychain.insert("Headroom", part, &piece);
        }
        assert_eq!(entries.read("Headroom", "saved").unwrap().unwrap(), old.into_bytes());
    }

    #[test]
    fn a_failed_write_keeps_the_old_secret_and_leaves_no_parts() {
        /// A keychain that refuses writes once it has taken `room` of them.
        struct Filling {
            inner: MemoryKeychain,
            room: std::sync::atomic::AtomicUsize,
        }
        impl Keychain for Filling {
            fn read(&self, service: &str, account: &str) -> Result<Option<Vec<u8>>, KeychainError> {
                self.inner.read(service, account)
            }
            fn write(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
                use std::sync::atomic::Ordering::SeqCst;
                if self.room.fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1)).is_err() {
                    return Err(KeychainError::Other("full".into()));
                }
                self.inner.write(service, account, secret)
            }
            fn delete(&self, service: &str, account: &str) -> Result<bool, KeychainError> {
                self.inner.delete(service, account)
            }
            fn entry_limit(&self) -> Option<usize> {
                self.inner.entry_limit()
            }
        }
        let keychain = Filling { inner: MemoryKeychain::with_entry_limit(50), room: 100.into() };
        let entries = SplitEntries::new(&keychain);
        let old = long_text(100);
        entries.write("Headroom", "saved", old.as_bytes()).unwrap();
        let before = keychain.inner.accounts("Headroom");
        keychain.room.store(3, std::sync::atomic::Ordering::SeqCst);
        assert!(entries.write("Headroom", "saved", long_text(300).as_bytes()).is_err());
        assert_eq!(keychain.inner.accounts("Headroom"), before, "no parts of the new secret are left");
        assert_eq!(entries.read("Headroom", "saved").unwrap().unwrap(), old.into_bytes());
    }

    #[test]
    fn secrets_that_look_like_a_header_but_are_not_one_are_read_as_they_are() {
        for text in ["headroom-parts:1:0:0011223344556677", "headroom-parts:1:2:short", "headroom-parts:1:x:y"] {
            assert_eq!(Header::parse(text.as_bytes()), None, "{text}");
        }
        assert_eq!(split(&[0xff; 5], 2), vec![vec![0xff, 0xff], vec![0xff, 0xff], vec![0xff]]);
    }
}

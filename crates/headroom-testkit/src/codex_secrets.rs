//! Codex's encrypted login store as Codex writes it (`codex-rs/secrets`): an age file encrypted
//! to a scrypt passphrase. Made at a low work factor so tests stay quick; Headroom reads any.

use std::io::Write;

/// `plaintext` encrypted to `passphrase` as Codex encrypts its secrets file.
pub fn encrypt(plaintext: &[u8], passphrase: &str) -> Vec<u8> {
    let mut recipient = age::scrypt::Recipient::new(age::secrecy::SecretString::from(passphrase.to_string()));
    recipient.set_work_factor(4);
    let encryptor = age::Encryptor::with_recipients(std::iter::once(&recipient as _)).expect("one recipient");
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).expect("writes to memory");
    writer.write_all(plaintext).expect("writes to memory");
    writer.finish().expect("writes to memory");
    out
}

/// The decrypted document of Codex's secrets file holding `auth_json` as its login.
pub fn document(auth_json: &str) -> String {
    serde_json::json!({"version": 1, "secrets": {"global/CODEX_AUTH": auth_json}}).to_string()
}

//! The icon is drawn by a crate that needs only the icon's state: if it ever depends on the
//! core again (and with it HTTP, SQLite and the keychain), its golden tests stop building in
//! seconds. This asks cargo itself what the crate depends on.

use std::process::Command;

#[test]
fn the_icon_depends_on_no_network_database_or_keychain_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "--offline", "-p", "headroom-icon", "-e", "normal,dev,build", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(tree.lines().any(|l| l.starts_with("tiny-skia ")), "the tree was read: {tree}");
    let heavy: Vec<&str> = tree
        .lines()
        .filter(|l| ["headroom-core ", "reqwest ", "rusqlite ", "keyring ", "tokio "].iter().any(|h| l.starts_with(h)))
        .collect();
    assert!(heavy.is_empty(), "headroom-icon depends on {heavy:?}");
}

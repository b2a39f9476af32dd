//! The commands the web UI may call (and nothing else: see capabilities/default.json). Almost
//! every one is a [`Call`] relayed to the tray process across the socket, where Headroom's loop
//! runs: the page sends the call (its TypeScript type is generated from [`Call`]) and receives
//! the [`Reply`](headroom_protocol::Reply)'s JSON, or the sentence saying why nothing was done.
//! What needs a secret or this process's screen is done here: a pasted token goes to the
//! keychain from here, never over the socket. New numbers are pushed as `dashboard` events; the
//! UI does not poll.

use chrono::Utc;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::login::paste::{classify, Paste};
use headroom_core::login::pasted_tokens::PastedTokens;
use headroom_core::login::vault::TokenInfo;
use headroom_core::settings;
use headroom_core::status::Context;
use headroom_protocol::{Call, Link};
use serde_json::Value;
use tauri::State;

/// The tray process, which answers the windows' calls.
pub struct Backend(pub Link);

type Backed<'a> = State<'a, Backend>;

/// One call to the tray, as the page makes it: `invoke("call", { call: { call: "pause_alerts",
/// until_reset: true } })`. This is the edge where a failed call becomes its one sentence.
#[tauri::command]
pub async fn call(backend: Backed<'_>, call: Call) -> Result<Value, String> {
    if call.is_the_window_process_own() {
        return Err("Headroom's window asked for something only Headroom itself may: reload the window.".into());
    }
    backend.0.call(call).await.map_err(|e| e.sentence().to_string())
}

/// Takes what was pasted (a token or the session cookie), keeps the access token in the OS
/// keychain, and has the numbers read again. The token never travels back to the window, nor
/// to the tray process.
#[tauri::command]
pub async fn paste_token(backend: Backed<'_>, text: String) -> Result<TokenInfo, String> {
    let now = Utc::now();
    let token = match classify(&text, now).map_err(|e| e.to_string())? {
        Paste::AccessToken(token) => token,
        Paste::SessionCookie(cookie) => {
            // The settings choose the service (and Codex's home); read as the tray reads them.
            let settings = settings::load_default().0;
            let client = Context::load(settings.environment()).client().map_err(|e| e.to_string())?;
            client.exchange_session_cookie(&cookie).await.map_err(|e| e.to_string())?.access_token
        }
    };
    let stored = token.clone();
    // Another account's token is kept beside the others; the same account's replaces its own.
    // The keychain answers over D-Bus: off the UI thread.
    tauri::async_runtime::spawn_blocking(move || PastedTokens::new(&OsKeychain).store(&stored))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    backend.0.call(Call::CredentialsChanged).await.map_err(|e| e.sentence().to_string())?;
    Ok(TokenInfo::of(&token, now))
}

/// The UI's report of its first paint, for the open-to-paint benchmark.
#[tauri::command]
pub fn painted(window: String) {
    crate::windows::painted(&window);
}

/// The folder picker, opened from Rust: the path goes back to the window, nothing else.
#[tauri::command]
pub async fn choose_folder(app: tauri::AppHandle) -> Option<String> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog().file().set_title("Choose a Codex home").pick_folder(move |folder| {
        let _ = tx.send(folder.and_then(|f| f.into_path().ok()).map(|p| p.display().to_string()));
    });
    rx.await.ok().flatten()
}

/// Every command, for the invoke handler.
pub fn all() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![call, paste_token, painted, choose_folder]
}

//! The commands the web UI may call (and nothing else: see capabilities/default.json). Each is a
//! [`Call`] answered by the tray process across the socket, where Headroom's loop runs. What
//! needs a secret or this process's screen is done here: a pasted token goes to the keychain from
//! here, never over the socket. New numbers are pushed as `dashboard` events; the UI does not poll.

use chrono::Utc;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::login::paste::{classify, Paste};
use headroom_core::login::pasted_tokens::PastedTokens;
use headroom_core::login::vault::TokenInfo;
use headroom_core::settings::{self, SettingsForm};
use headroom_core::status::Context;
use headroom_protocol::Link;
use headroom_protocol::{Answer, Call};
use tauri::State;

/// The tray process, which answers the windows' calls.
pub struct Backend(pub Link);

impl Backend {
    pub async fn call(&self, call: Call) -> Answer {
        self.0.call(call).await
    }
}

type Backed<'a> = State<'a, Backend>;

/// The dashboard's numbers now.
#[tauri::command]
pub async fn dashboard(backend: Backed<'_>) -> Answer {
    backend.call(Call::Dashboard).await
}

/// "Retry" and "Refresh": fetch now (clicks within 5 s are one).
#[tauri::command]
pub async fn refresh(backend: Backed<'_>) -> Answer {
    backend.call(Call::Refresh).await
}

/// The settings as the window edits them.
#[tauri::command]
pub async fn settings(backend: Backed<'_>) -> Answer {
    backend.call(Call::Settings).await
}

/// Saves every field that is valid, at once; a wrong field never holds back the others.
#[tauri::command]
pub async fn save_settings(backend: Backed<'_>, form: SettingsForm, base: Option<SettingsForm>) -> Answer {
    backend.call(Call::SaveSettings { form: Box::new(form), base: base.map(Box::new) }).await
}

/// Every place credentials are looked for, what each holds, and the pasted token's details.
#[tauri::command]
pub async fn credentials(backend: Backed<'_>) -> Answer {
    backend.call(Call::Credentials).await
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
    backend.call(Call::CredentialsChanged).await?;
    Ok(TokenInfo::of(&token, now))
}

/// Removes the token pasted for `account` (none: the account the tray shows).
#[tauri::command]
pub async fn remove_token(backend: Backed<'_>, account: Option<String>) -> Answer {
    backend.call(Call::RemoveToken { account }).await
}

/// Asks the usage service whether it accepts the token pasted for `account`.
#[tauri::command]
pub async fn check_token(backend: Backed<'_>, account: Option<String>) -> Answer {
    backend.call(Call::CheckToken { account }).await
}

/// Until when alerts are paused (RFC 3339), if they are.
#[tauri::command]
pub async fn alert_pause(backend: Backed<'_>) -> Answer {
    backend.call(Call::AlertPause).await
}

/// What "until the limit resets" would mean now: "Until the 5-hour limit resets (15:34)", or
/// nothing when no window says when it resets.
#[tauri::command]
pub async fn reset_pause_label(backend: Backed<'_>) -> Answer {
    backend.call(Call::ResetPauseLabel).await
}

/// Pauses alerts for an hour, or until the limit resets (see `alert_pause`).
#[tauri::command]
pub async fn pause_alerts(backend: Backed<'_>, until_reset: bool) -> Answer {
    backend.call(Call::PauseAlerts { until_reset }).await
}

#[tauri::command]
pub async fn resume_alerts(backend: Backed<'_>) -> Answer {
    backend.call(Call::ResumeAlerts).await
}

/// The UI's report of its first paint, for the open-to-paint benchmark.
#[tauri::command]
pub fn painted(window: String) {
    crate::windows::painted(&window);
}

/// The chart's data: each window's use over the last `days` days (7 by default) and its resets.
#[tauri::command]
pub async fn history(backend: Backed<'_>, days: Option<u32>, account: Option<String>) -> Answer {
    backend.call(Call::History { days, account }).await
}

/// "Export CSV" on a card: that account's history into the Downloads folder; returns the path.
#[tauri::command]
pub async fn export_history(backend: Backed<'_>, account: Option<String>) -> Answer {
    backend.call(Call::ExportHistory { account }).await
}

/// The dashboard's "Tokens" tab: tokens per day over the last `days` days (14 by default).
#[tauri::command]
pub async fn token_usage(backend: Backed<'_>, days: Option<u32>, account: Option<String>) -> Answer {
    backend.call(Call::TokenUsage { days, account }).await
}

/// Every account, as found now.
#[tauri::command]
pub async fn accounts(backend: Backed<'_>) -> Answer {
    backend.call(Call::Accounts).await
}

/// "Add a Codex home": refused with a sentence unless the folder holds a ChatGPT login.
#[tauri::command]
pub async fn add_home(backend: Backed<'_>, path: String) -> Answer {
    backend.call(Call::AddHome { path }).await
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

/// Removes an added home or a pasted token (from the keychain).
#[tauri::command]
pub async fn remove_account(backend: Backed<'_>, id: String) -> Answer {
    backend.call(Call::RemoveAccount { account: id }).await
}

/// Shows this account in the tray icon (`None`: the default account again), at once.
#[tauri::command]
pub async fn pin_account(backend: Backed<'_>, id: Option<String>) -> Answer {
    backend.call(Call::PinAccount { account: id }).await
}

#[tauri::command]
pub async fn hooks(backend: Backed<'_>) -> Answer {
    backend.call(Call::Hooks).await
}

/// "Run test event": runs the `index`th hook with a made-up threshold crossing.
#[tauri::command]
pub async fn run_test_hook(backend: Backed<'_>, index: usize) -> Answer {
    backend.call(Call::RunTestHook { index }).await
}

/// "Use it", after the dashboard named the credit and said it cannot be undone.
#[tauri::command]
pub async fn use_reset_credit(backend: Backed<'_>, account: String, credit: String) -> Answer {
    backend.call(Call::UseResetCredit { account, credit }).await
}

/// Every command, for the invoke handler.
pub fn all() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        dashboard,
        history,
        export_history,
        token_usage,
        refresh,
        settings,
        save_settings,
        credentials,
        paste_token,
        remove_token,
        check_token,
        alert_pause,
        reset_pause_label,
        pause_alerts,
        resume_alerts,
        painted,
        accounts,
        add_home,
        choose_folder,
        remove_account,
        pin_account,
        hooks,
        run_test_hook,
        use_reset_credit
    ]
}

//! What Headroom reads from its surroundings: environment variables, `CODEX_HOME` and Codex's
//! `config.toml`. Collected once into plain values so everything after is testable without
//! touching the process environment.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

pub const DEFAULT_BASE_URL: &str = "https://chatgpt.com/backend-api";
pub const ENV_ACCESS_TOKEN: &str = "HEADROOM_ACCESS_TOKEN";
pub const ENV_BASE_URL: &str = "HEADROOM_CHATGPT_BASE_URL";
/// Where Codex asks who owns a Codex access token; `CODEX_AUTHAPI_BASE_URL` moves it, as for Codex.
pub const DEFAULT_AUTHAPI_BASE_URL: &str = "https://auth.openai.com/api/accounts";

/// The process environment, as far as Headroom cares.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// `CODEX_HOME`, else `~/.codex`.
    pub codex_home: PathBuf,
    pub access_token: Option<SecretString>,
    pub base_url: Option<String>,
    /// The PEM bundle for corporate TLS proxies, with the variable that named it.
    pub ca_bundle: Option<(&'static str, PathBuf)>,
    /// `CODEX_AUTHAPI_BASE_URL`, as Codex reads it.
    pub authapi_base_url: Option<String>,
    /// The user's home folder, for `~/.codex` and for `~` in added Codex homes.
    pub user_home: Option<PathBuf>,
    /// Headroom's data folder, where what is known of the accounts is remembered between runs
    /// (none in tests that build an environment by hand: nothing is remembered then).
    pub data_dir: Option<PathBuf>,
}

impl Environment {
    pub fn from_process() -> Environment {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let home = crate::user_folders::home_dir().unwrap_or_else(|| PathBuf::from("."));
        // (`user_home` below keeps the real answer, which may be none.)
        Environment {
            codex_home: var("CODEX_HOME").map(PathBuf::from).unwrap_or_else(|| home.join(".codex")),
            access_token: var(ENV_ACCESS_TOKEN).map(SecretString::from),
            base_url: var(ENV_BASE_URL),
            ca_bundle: var("CODEX_CA_CERTIFICATE")
                .map(|p| ("CODEX_CA_CERTIFICATE", PathBuf::from(p)))
                .or_else(|| var("SSL_CERT_FILE").map(|p| ("SSL_CERT_FILE", PathBuf::from(p)))),
            authapi_base_url: var("CODEX_AUTHAPI_BASE_URL"),
            user_home: crate::user_folders::home_dir(),
            data_dir: crate::storage::data_dir(),
        }
    }

    /// The Codex folder the user chose in Headroom's settings, when there is one, in place of
    /// `CODEX_HOME` / `~/.codex` (the tray and the CLI follow the same rule).
    pub fn with_codex_home(mut self, chosen: Option<&Path>) -> Environment {
        if let Some(home) = chosen {
            // `~/.codex-work` in settings.toml is the user's folder, as in `[accounts] homes`.
            self.codex_home = self.expand_home(home);
        }
        self
    }

    /// `~/.codex`: where Codex keeps its login when `CODEX_HOME` is not set.
    pub fn usual_codex_home(&self) -> Option<PathBuf> {
        self.user_home.as_ref().map(|h| h.join(".codex"))
    }

    /// A folder the user wrote, with a leading `~` read as their home folder.
    pub fn expand_home(&self, path: &Path) -> PathBuf {
        match (path.strip_prefix("~"), &self.user_home) {
            (Ok(rest), Some(home)) => home.join(rest),
            _ => path.to_path_buf(),
        }
    }

    /// The base of Codex's account service, without a trailing slash.
    pub fn authapi_base_url(&self) -> String {
        self.authapi_base_url.as_deref().unwrap_or(DEFAULT_AUTHAPI_BASE_URL).trim().trim_end_matches('/').to_string()
    }
}

/// Where Codex keeps its login (`cli_auth_credentials_store`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CredentialsStore {
    #[default]
    File,
    Keyring,
    Auto,
    Ephemeral,
    /// A value this version does not know; treated like `auto` (look in both places).
    Unknown(String),
}

impl CredentialsStore {
    fn parse(value: &str) -> CredentialsStore {
        match value.to_ascii_lowercase().as_str() {
            "file" => CredentialsStore::File,
            "keyring" => CredentialsStore::Keyring,
            "auto" => CredentialsStore::Auto,
            "ephemeral" => CredentialsStore::Ephemeral,
            _ => CredentialsStore::Unknown(value.to_string()),
        }
    }

    /// Whether Codex may have put its login in the OS keychain.
    pub fn uses_keyring(&self) -> bool {
        matches!(self, CredentialsStore::Keyring | CredentialsStore::Auto | CredentialsStore::Unknown(_))
    }

    pub fn as_str(&self) -> &str {
        match self {
            CredentialsStore::File => "file",
            CredentialsStore::Keyring => "keyring",
            CredentialsStore::Auto => "auto",
            CredentialsStore::Ephemeral => "ephemeral",
            CredentialsStore::Unknown(v) => v,
        }
    }
}

/// The parts of `$CODEX_HOME/config.toml` Headroom reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodexConfig {
    pub chatgpt_base_url: Option<String>,
    pub credentials_store: CredentialsStore,
    /// `[features] secret_auth_storage`: Codex keeps its keychain login in its encrypted
    /// secrets store instead of the keychain entry.
    pub secret_auth_storage: Option<bool>,
}

impl CodexConfig {
    /// Whether Codex looks in its secrets store before its keychain entry: when the feature is
    /// on, and on Windows (where Codex turned it on by default) unless it is off.
    pub fn secrets_store_first(&self) -> bool {
        self.secret_auth_storage.unwrap_or(cfg!(windows))
    }
}

/// A `config.toml` that exists but cannot be read; Headroom carries on with defaults.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} could not be read ({reason}); using Codex's defaults")]
pub struct ConfigError {
    pub path: PathBuf,
    pub reason: String,
}

pub fn config_path(codex_home: &Path) -> PathBuf {
    codex_home.join("config.toml")
}

/// Reads Codex's config. A missing file is the defaults; a broken one is the defaults plus an error.
pub fn read_codex_config(codex_home: &Path) -> (CodexConfig, Option<ConfigError>) {
    let path = config_path(codex_home);
    let text = match crate::storage::read_small_file(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                return (CodexConfig::default(), Some(ConfigError { path, reason: "it is not UTF-8 text".into() }))
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (CodexConfig::default(), None),
        Err(e) => return (CodexConfig::default(), Some(ConfigError { path, reason: e.to_string() })),
    };
    match parse_codex_config(&text) {
        Ok(config) => (config, None),
        Err(reason) => (CodexConfig::default(), Some(ConfigError { path, reason })),
    }
}

pub fn parse_codex_config(text: &str) -> Result<CodexConfig, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.message().to_string())?;
    let string = |key: &str| table.get(key).and_then(|v| v.as_str()).map(str::to_string);
    Ok(CodexConfig {
        chatgpt_base_url: string("chatgpt_base_url").filter(|s| !s.trim().is_empty()),
        credentials_store: string("cli_auth_credentials_store")
            .map(|s| CredentialsStore::parse(&s))
            .unwrap_or_default(),
        secret_auth_storage: table.get("features").and_then(|f| f.get("secret_auth_storage")).and_then(|v| v.as_bool()),
    })
}

/// Which setting chose the base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseUrlOrigin {
    Env,
    CodexConfig,
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    pub url: String,
    pub origin: BaseUrlOrigin,
}

impl BaseUrl {
    pub fn resolve(env: &Environment, config: &CodexConfig) -> BaseUrl {
        let (raw, origin) = match (&env.base_url, &config.chatgpt_base_url) {
            (Some(url), _) => (url.as_str(), BaseUrlOrigin::Env),
            (None, Some(url)) => (url.as_str(), BaseUrlOrigin::CodexConfig),
            (None, None) => (DEFAULT_BASE_URL, BaseUrlOrigin::Default),
        };
        let mut url = raw.trim().trim_end_matches('/').to_string();
        // Codex itself adds /backend-api to a bare ChatGPT host, so a config that names only the
        // host still reaches the same endpoint.
        if (url.starts_with("https://chatgpt.com") || url.starts_with("https://chat.openai.com"))
            && !url.contains("/backend-api")
        {
            url.push_str("/backend-api");
        }
        BaseUrl { url, origin }
    }

    /// `…/wham/usage` under a ChatGPT backend, `…/api/codex/usage` elsewhere.
    pub fn usage_url(&self) -> String {
        self.service_url("usage")
    }

    /// The list of banked reset credits, beside the usage endpoint as Codex's backend client
    /// has it (`codex-rs/backend-client/src/client/rate_limit_resets.rs`).
    pub fn reset_credits_url(&self) -> String {
        self.service_url("rate-limit-reset-credits")
    }

    fn service_url(&self, path: &str) -> String {
        if self.url.contains("/backend-api") {
            format!("{}/wham/{path}", self.url)
        } else {
            format!("{}/api/codex/{path}", self.url)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_keys_headroom_reads_and_ignores_the_rest() {
        let config = parse_codex_config(
            "model = \"gpt-5-codex\"\nchatgpt_base_url = \"https://proxy.example/backend-api/\"\ncli_auth_credentials_store = \"keyring\"\n[profiles.x]\nmodel = \"o3\"\n",
        )
        .unwrap();
        assert_eq!(config.chatgpt_base_url.as_deref(), Some("https://proxy.example/backend-api/"));
        assert_eq!(config.credentials_store, CredentialsStore::Keyring);
        assert_eq!(parse_codex_config("").unwrap(), CodexConfig::default());
        assert_eq!(
            parse_codex_config("cli_auth_credentials_store = \"vault\"").unwrap().credentials_store,
            CredentialsStore::Unknown("vault".into())
        );
        assert!(parse_codex_config("model = ").is_err());
    }

    #[test]
    fn a_broken_config_file_gives_defaults_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "chatgpt_base_url = [").unwrap();
        let (config, error) = read_codex_config(dir.path());
        assert_eq!(config, CodexConfig::default());
        assert!(error.unwrap().to_string().contains("config.toml could not be read"));
        let (config, error) = read_codex_config(&dir.path().join("missing"));
        assert_eq!((config, error), (CodexConfig::default(), None));
    }

    #[test]
    fn base_url_precedence_and_endpoint_rule() {
        let env = Environment { base_url: Some("http://127.0.0.1:9/backend-api/".into()), ..Default::default() };
        let config = CodexConfig { chatgpt_base_url: Some("http://config.example".into()), ..Default::default() };
        let from_env = BaseUrl::resolve(&env, &config);
        assert_eq!(from_env.origin, BaseUrlOrigin::Env);
        assert_eq!(from_env.usage_url(), "http://127.0.0.1:9/backend-api/wham/usage");

        let from_config = BaseUrl::resolve(&Environment::default(), &config);
        assert_eq!(from_config.origin, BaseUrlOrigin::CodexConfig);
        assert_eq!(from_config.usage_url(), "http://config.example/api/codex/usage");

        let default = BaseUrl::resolve(&Environment::default(), &CodexConfig::default());
        assert_eq!(default.usage_url(), "https://chatgpt.com/backend-api/wham/usage");

        let bare = CodexConfig { chatgpt_base_url: Some("https://chatgpt.com".into()), ..Default::default() };
        assert_eq!(
            BaseUrl::resolve(&Environment::default(), &bare).usage_url(),
            "https://chatgpt.com/backend-api/wham/usage"
        );
    }
}

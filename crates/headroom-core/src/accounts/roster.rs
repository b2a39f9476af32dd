//! Which accounts there are. Codex keeps one login per Codex home; Headroom looks in the default
//! home (`CODEX_HOME`, else `~/.codex`, else the folder chosen in Settings), in `~/.codex` when
//! `CODEX_HOME` points elsewhere and it holds a login, in every home added in Settings, and at
//! every token pasted into Headroom. Each place's login names its account: the workspace (the
//! account id) and the person in it (the `chatgpt_user_id` claim, else the email), since two
//! members of one Team workspace are two accounts and one email in two workspaces is two
//! accounts ([`crate::model::identity_key`]). Places that name the same account are one account,
//! whose credential is chosen in the usual order (`HEADROOM_ACCESS_TOKEN`, a pasted token,
//! Codex's own login).
//!
//! The *default* account is the one Codex uses by default: `HEADROOM_ACCESS_TOKEN`'s when set
//! (it overrides everything for this process), else the default home's login, else the first
//! pasted token (read, as before, with the default home's session logs and config), else the
//! default home itself, which then shows its session logs or says there is no login.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::environment::Environment;
use crate::login::credentials::DiscoverMode;
use crate::login::keychain::Keychain;
use crate::login::pasted_tokens::{PastedEntry, PastedTokens};
use crate::settings::Settings;
use crate::status::Context;

/// How Headroom came to know a Codex home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HomeOrigin {
    /// The home Codex uses here: `CODEX_HOME`, `~/.codex`, or the folder chosen in Settings.
    Default,
    /// `~/.codex`, while `CODEX_HOME` points elsewhere.
    UsualFolder,
    /// Added in Settings or with `headroom accounts add`.
    Added,
}

/// One place an account's login was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// `HEADROOM_ACCESS_TOKEN`.
    EnvToken,
    /// A token pasted into Headroom, in its keychain entry.
    Pasted(PastedEntry),
    /// A Codex home; `gone` when an added one no longer exists.
    Home { path: PathBuf, origin: HomeOrigin, gone: bool },
}

impl Place {
    /// The usual credential order: the variable, a pasted token, Codex's own login.
    fn order(&self) -> u8 {
        match self {
            Place::EnvToken => 0,
            Place::Pasted(_) => 1,
            Place::Home { .. } => 2,
        }
    }

    /// Where it is, for the accounts list: a path, a keychain entry, a variable.
    pub fn describe(&self) -> String {
        match self {
            Place::EnvToken => "HEADROOM_ACCESS_TOKEN".into(),
            Place::Pasted(entry) => format!("a token pasted into Headroom ({})", entry.location()),
            Place::Home { path, origin, gone } => {
                let how = match origin {
                    HomeOrigin::Default => "the Codex home in use",
                    HomeOrigin::UsualFolder => "Codex's usual folder",
                    HomeOrigin::Added => "added",
                };
                let gone = if *gone { ", gone" } else { "" };
                format!("{} ({how}{gone})", path.display())
            }
        }
    }
}

/// One account Headroom watches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchedAccount {
    /// How it is named: the workspace and the person in it (`acct-1/user-abc`), else its place (a
    /// home's path, a keychain entry), which is all there is to say of a home without a login.
    pub id: String,
    pub email: Option<String>,
    /// Where its login was found, in the credential order.
    pub places: Vec<Place>,
    /// The account Codex uses by default.
    pub default: bool,
    /// The workspace (`chatgpt_account_id`), when the login names it.
    pub workspace: Option<String>,
    /// The plan as the login names it (`plus`, `team`…), for telling workspaces apart.
    pub plan: Option<String>,
    /// Set when another watched account has the same email: its plan and workspace, so every
    /// listing tells the two apart ("me@example.org (Business, acct-team)").
    pub also_named: Option<String>,
    /// Why it cannot be read now, when that is known before asking (its pasted token is behind a
    /// locked keychain): it stays in every view, with this sentence.
    pub trouble: Option<String>,
    /// Another watched account is in the same workspace (another person, or the same one's
    /// other login): what was kept under the workspace alone, before people in one workspace
    /// were told apart, cannot be told to be this one's.
    pub shares_workspace: bool,
}

/// A pasted-token account as remembered between runs (no secret: its entry's name and what its
/// token said of itself), so a keychain that cannot be read now hides no account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct RememberedPasted {
    entry: String,
    id: String,
    email: Option<String>,
    workspace: Option<String>,
    plan: Option<String>,
}

const REMEMBERED_PASTED: &str = "pasted-accounts.json";

impl WatchedAccount {
    /// The account shown before the accounts have been looked for (at start): the default.
    pub fn not_yet_known() -> WatchedAccount {
        WatchedAccount { default: true, ..WatchedAccount::default() }
    }

    /// The Codex home whose config and session logs apply to it.
    pub fn home(&self) -> Option<&Path> {
        self.places.iter().find_map(|p| match p {
            Place::Home { path, .. } => Some(path.as_path()),
            _ => None,
        })
    }

    /// An added home that no longer exists, when that is all the account is.
    pub fn gone_home(&self) -> Option<&Path> {
        match self.places.as_slice() {
            [Place::Home { path, gone: true, .. }] => Some(path),
            _ => None,
        }
    }

    /// The pasted token that gives its credential, when one does.
    pub fn pasted(&self) -> Option<&PastedEntry> {
        self.places.iter().find_map(|p| match p {
            Place::Pasted(entry) => Some(entry),
            _ => None,
        })
    }

    pub fn uses_env_token(&self) -> bool {
        self.places.contains(&Place::EnvToken)
    }

    /// Its email, else its id: what a notification or a menu line calls it; with its plan and
    /// workspace when another account has the same email.
    pub fn label(&self) -> &str {
        self.also_named.as_deref().or(self.email.as_deref()).unwrap_or(&self.id)
    }

    /// The email (else id) with the workspace beside it, for listings: "me@example.org · Plus ·
    /// acct-personal".
    pub fn listing(&self) -> String {
        let name = self.email.clone().unwrap_or_else(|| self.id.clone());
        match self.plan_and_workspace() {
            Some(workspace) => format!("{name} · {workspace}"),
            None => name,
        }
    }

    /// Its plan and workspace as the login names them: "Plus · acct-personal".
    pub fn plan_and_workspace(&self) -> Option<String> {
        let parts: Vec<String> =
            self.plan.as_deref().map(crate::humanize::plan_name).into_iter().chain(self.workspace.clone()).collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// Whether `name` names it: its id, its email (any case), its workspace's account id, or one
    /// of its homes' paths. A name may fit several accounts (an email in two workspaces, a
    /// workspace with two people): see [`Roster::resolve`].
    pub fn is_named(&self, name: &str, env: &Environment) -> bool {
        let name = name.trim();
        if name.is_empty() {
            return false;
        }
        let path = env.expand_home(Path::new(name));
        self.id == name
            || self.workspace.as_deref() == Some(name)
            || self.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(name))
            || self.places.iter().any(|p| match p {
                Place::Home { path: home, .. } => same_folder(home, &path),
                Place::Pasted(entry) => entry.name() == name,
                Place::EnvToken => false,
            })
    }

    /// The command that runs Codex with this account's home, when that is not the home Codex
    /// uses anyway: `CODEX_HOME=/home/dev/.codex-work codex` ([`codex_with_home`]). (Headroom
    /// never copies a login between homes; see the module's notes.)
    pub fn codex_command(&self) -> Option<String> {
        if self.places.iter().any(|p| matches!(p, Place::Home { origin: HomeOrigin::Default, .. })) {
            return None;
        }
        self.places.iter().find_map(|p| match p {
            Place::Home { path, gone: false, .. } => Some(codex_with_home(path)),
            _ => None,
        })
    }

    /// The context its numbers are read with: its home's config and logs (or the default home's
    /// config, without its logs, for a pasted token of another account), and
    /// `HEADROOM_ACCESS_TOKEN` only when that is its credential.
    pub fn context(&self, env: &Environment) -> Context {
        let mut env = env.clone();
        if !self.uses_env_token() {
            env.access_token = None;
        }
        let own_home = match self.home() {
            Some(home) => {
                env.codex_home = home.to_path_buf();
                true
            }
            None => false,
        };
        Context { own_home, ..Context::load(env) }
    }
}

/// The command line that runs Codex with `home` as its `CODEX_HOME`, in the shell people type
/// into there: `CODEX_HOME=/home/dev/.codex-work codex` (POSIX shells), and on Windows, where
/// that line means nothing, PowerShell's `$env:CODEX_HOME='C:\Users\dev\.codex-work'; codex`
/// (the shell Windows Terminal opens). Advice appends to it (`… codex login`).
pub fn codex_with_home(home: &Path) -> String {
    codex_with_home_in(&home.display().to_string(), cfg!(windows))
}

fn codex_with_home_in(home: &str, windows: bool) -> String {
    if windows {
        // PowerShell's single quotes take everything literally but a doubled quote.
        format!("$env:CODEX_HOME='{}'; codex", home.replace('\'', "''"))
    } else {
        format!("CODEX_HOME={} codex", shell_quote(home))
    }
}

/// A word as a POSIX shell reads it: bare when safe, else in single quotes.
fn shell_quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-~+=:@,".contains(c)) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Two paths that name the same folder, whether written with a trailing slash, `.` or a link.
pub fn same_folder(a: &Path, b: &Path) -> bool {
    if a.components().eq(b.components()) {
        return true;
    }
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// Every account, the default one first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub accounts: Vec<WatchedAccount>,
    /// Places that could not be read (the pasted tokens' keychain, say): one sentence each.
    pub problems: Vec<String>,
}

/// What one place's login says about its account.
#[derive(Default)]
struct Says {
    identity: Option<String>,
    email: Option<String>,
    workspace: Option<String>,
    plan: Option<String>,
}

struct Found {
    place: Place,
    says: Says,
}

impl Roster {
    /// Looks in every place (read-only: logins are read, never refreshed).
    pub fn find(env: &Environment, settings: &Settings, keychain: &dyn Keychain) -> Roster {
        let mut problems = Vec::new();
        let mut found = Vec::new();
        if let Some(token) = &env.access_token {
            found.push(Found { place: Place::EnvToken, says: token_says(token, env) });
        }
        let default_home = env.codex_home.clone();
        let mut homes = vec![(default_home.clone(), HomeOrigin::Default)];
        if let Some(usual) = env.usual_codex_home().filter(|u| !same_folder(u, &default_home)) {
            homes.push((usual, HomeOrigin::UsualFolder));
        }
        for added in &settings.added_homes {
            let path = env.expand_home(added);
            match homes.iter_mut().find(|(h, _)| same_folder(h, &path)) {
                // ~/.codex added by hand is an added home; the default one stays the default.
                Some((_, origin @ HomeOrigin::UsualFolder)) => *origin = HomeOrigin::Added,
                Some(_) => {}
                None => homes.push((path, HomeOrigin::Added)),
            }
        }
        for (path, origin) in homes {
            let gone = origin == HomeOrigin::Added && !path.is_dir();
            let says = if gone { None } else { home_says(env, &path, keychain) };
            // ~/.codex beside CODEX_HOME counts only when it holds a login.
            if origin == HomeOrigin::UsualFolder && says.is_none() {
                continue;
            }
            found.push(Found { place: Place::Home { path, origin, gone }, says: says.unwrap_or_default() });
        }
        let tokens = PastedTokens::new(keychain);
        let mut unreadable: Option<String> = None;
        let mut pasted = Vec::new();
        let remembered = env.data_dir.as_ref().map(|d| d.join(REMEMBERED_PASTED));
        // What earlier runs found pasted, read once if it is needed at all.
        let known = std::cell::OnceCell::new();
        let known_before = || -> &Vec<RememberedPasted> {
            known.get_or_init(|| {
                remembered.as_ref().and_then(|file| crate::storage::read_json(file).ok().flatten()).unwrap_or_default()
            })
        };
        match tokens.entries() {
            Ok(entries) => {
                for entry in entries {
                    match tokens.load(&entry) {
                        Ok(Some(token)) => {
                            pasted.push(Found { place: Place::Pasted(entry), says: token_says(&token, env) })
                        }
                        Ok(None) => {}
                        Err(e) => {
                            problems.push(e.to_string());
                            unreadable.get_or_insert_with(|| keychain_trouble(&e.source));
                        }
                    }
                }
            }
            // No keychain on a headless machine: nothing can have been pasted — unless tokens
            // were pasted before, and the keychain is away now (its service stopped): then, as
            // with a locked one, their accounts stay and say why.
            Err(e)
                if matches!(e.source, crate::login::keychain::KeychainError::Unavailable(_))
                    && known_before().is_empty() => {}
            Err(e) => {
                problems.push(e.to_string());
                unreadable = Some(keychain_trouble(&e.source));
            }
        }
        match (&unreadable, &remembered) {
            (None, Some(file)) => remember_pasted(file, &pasted),
            (Some(_), Some(_)) => {
                // What cannot be read now is known from before: each such account stays.
                for k in known_before().clone() {
                    if !pasted.iter().any(|f| matches!(&f.place, Place::Pasted(e) if e.name() == k.entry)) {
                        if let Some(entry) = PastedEntry::from_name(&k.entry) {
                            let says =
                                Says { identity: Some(k.id), email: k.email, workspace: k.workspace, plan: k.plan };
                            pasted.push(Found { place: Place::Pasted(entry), says });
                        }
                    }
                }
            }
            _ => {}
        }
        found.extend(pasted);
        let mut accounts = group(found);
        if let Some(trouble) = unreadable {
            // An account whose only login is a pasted token that cannot be read now says why.
            for account in &mut accounts {
                if account.pasted().is_some() && account.home().is_none() && !account.uses_env_token() {
                    account.trouble = Some(trouble.clone());
                }
            }
        }
        Roster { accounts, problems }
    }

    /// The account Codex uses by default (there is always one: at least the default home).
    pub fn default_account(&self) -> &WatchedAccount {
        self.accounts.iter().find(|a| a.default).unwrap_or(&self.accounts[0])
    }

    /// The account the icon shows: the pinned one while it names one account, else the default.
    pub fn shown(&self, pinned: Option<&str>, env: &Environment) -> &WatchedAccount {
        pinned.and_then(|name| self.named(name, env)).unwrap_or_else(|| self.default_account())
    }

    /// The one account `name` names; `None` when it names none, or several.
    pub fn named(&self, name: &str, env: &Environment) -> Option<&WatchedAccount> {
        self.resolve(name, env).ok()
    }

    /// The one account `name` names: an id names one account exactly; an email, a workspace or a
    /// path may name several, and then the choice is refused with the list, never made silently.
    pub fn resolve(&self, name: &str, env: &Environment) -> Result<&WatchedAccount, Unresolved> {
        if let Some(exact) = self.accounts.iter().find(|a| a.id == name.trim()) {
            return Ok(exact);
        }
        let matches: Vec<&WatchedAccount> = self.accounts.iter().filter(|a| a.is_named(name, env)).collect();
        match matches.as_slice() {
            [one] => Ok(one),
            [] => Err(Unresolved::Unknown(name.trim().to_string())),
            several => Err(Unresolved::Ambiguous {
                name: name.trim().to_string(),
                matches: several.iter().map(|a| format!("{} (id {})", a.listing(), a.id)).collect(),
            }),
        }
    }
}

/// Why a name picks no account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unresolved {
    #[error("No account is named “{0}”: `headroom accounts list` shows each account's id, email and home.")]
    Unknown(String),
    #[error("“{name}” names {} accounts — {}: give the one you mean by its id.", .matches.len(), .matches.join("; "))]
    Ambiguous { name: String, matches: Vec<String> },
}

/// The one sentence an account whose token is behind the keychain gets.
fn keychain_trouble(error: &crate::login::keychain::KeychainError) -> String {
    match error {
        crate::login::keychain::KeychainError::Locked(_) => {
            "The OS keychain is locked — unlock it to read this account.".into()
        }
        crate::login::keychain::KeychainError::Unavailable(_) => {
            "The OS keychain cannot be reached — start your desktop's keyring to read this account.".into()
        }
        other => format!("{} — {} to read this account.", crate::text::capitalise(&other.to_string()), other.remedy()),
    }
}

/// Remembers the pasted-token accounts read now (names and what the tokens say, no secret).
fn remember_pasted(file: &Path, pasted: &[Found]) {
    let now: Vec<RememberedPasted> = pasted
        .iter()
        .filter_map(|f| match &f.place {
            Place::Pasted(entry) => Some(RememberedPasted {
                entry: entry.name().to_string(),
                id: f.says.identity.clone()?,
                email: f.says.email.clone(),
                workspace: f.says.workspace.clone(),
                plan: f.says.plan.clone(),
            }),
            _ => None,
        })
        .collect();
    let before: Option<Vec<RememberedPasted>> = crate::storage::read_json(file).ok().flatten();
    if before.as_ref() != Some(&now) && !(before.is_none() && now.is_empty()) {
        if let Err(e) = crate::storage::write_json(file, &now) {
            tracing::warn!("the pasted-token accounts could not be remembered ({e})");
        }
    }
}

fn token_says(token: &SecretString, env: &Environment) -> Says {
    let credential = crate::login::credentials::Credential::new(
        crate::model::CredentialOrigin::Keychain,
        String::new(),
        token.clone(),
        None,
        None,
    );
    says_of(&credential, env.data_dir.as_deref())
}

/// What a home's login says of its account; `None` when it has no login at all.
fn home_says(env: &Environment, home: &Path, keychain: &dyn Keychain) -> Option<Says> {
    let mut in_home = env.clone();
    in_home.access_token = None;
    in_home.codex_home = home.to_path_buf();
    let discovery = Context::load(in_home).discover(keychain, None, DiscoverMode::FirstFound);
    Some(says_of(discovery.credential()?, env.data_dir.as_deref()))
}

/// Who a credential is: as its tokens say, or for a Codex access token (which names no one) as
/// its owner was last asked by any Headroom process, with nothing sent — so the account is
/// grouped and keyed as its numbers are.
fn says_of(credential: &crate::login::credentials::Credential, data_dir: Option<&Path>) -> Says {
    use crate::login::credentials::TokenKind;
    let owned = match credential.kind {
        TokenKind::CodexAccessToken if credential.account_id.is_none() => {
            crate::sources::client::known_owner(credential, data_dir).map(|owner| credential.with_owner(owner))
        }
        _ => None,
    };
    let c = owned.as_ref().unwrap_or(credential);
    Says {
        identity: c.identity(),
        email: c.claims.email.clone(),
        workspace: c.account_id.clone(),
        plan: c.claims.plan.clone(),
    }
}

/// Places that name the same account become one; then the default account is chosen and put
/// first.
fn group(found: Vec<Found>) -> Vec<WatchedAccount> {
    let mut accounts: Vec<(Option<String>, WatchedAccount)> = Vec::new();
    let mut default_home_login = None;
    for Found { place, says } in found {
        let Says { identity, email, workspace, plan } = says;
        let is_default_home = matches!(place, Place::Home { origin: HomeOrigin::Default, .. });
        if is_default_home {
            default_home_login = Some(identity.is_some());
        }
        if let Some((_, account)) = accounts.iter_mut().find(|(id, _)| identity.is_some() && *id == identity) {
            account.email = account.email.take().or(email);
            account.workspace = account.workspace.take().or(workspace);
            account.plan = account.plan.take().or(plan);
            account.places.push(place);
            continue;
        }
        let id = identity.clone().unwrap_or_else(|| match &place {
            Place::EnvToken => "HEADROOM_ACCESS_TOKEN".into(),
            Place::Pasted(entry) => entry.name().to_string(),
            Place::Home { path, .. } => path.display().to_string(),
        });
        accounts.push((
            identity,
            WatchedAccount {
                id,
                email,
                places: vec![place],
                default: false,
                workspace,
                plan,
                also_named: None,
                trouble: None,
                shares_workspace: false,
            },
        ));
    }
    let mut accounts: Vec<WatchedAccount> = accounts.into_iter().map(|(_, a)| a).collect();
    for account in &mut accounts {
        account.places.sort_by_key(Place::order);
    }
    let is_default_home =
        |a: &WatchedAccount| a.places.iter().any(|p| matches!(p, Place::Home { origin: HomeOrigin::Default, .. }));
    let chosen = accounts
        .iter()
        .position(WatchedAccount::uses_env_token)
        .or_else(|| if default_home_login == Some(true) { accounts.iter().position(is_default_home) } else { None })
        .or_else(|| accounts.iter().position(|a| a.pasted().is_some()))
        .or_else(|| accounts.iter().position(is_default_home))
        .unwrap_or(0);
    if accounts.is_empty() {
        return accounts;
    }
    let mut default = accounts.remove(chosen);
    // A default home without a login lends its config and session logs to the token that
    // stands in for it, as it always has.
    if default_home_login == Some(false) && !is_default_home(&default) {
        if let Some(i) = accounts.iter().position(is_default_home) {
            let home = accounts.remove(i);
            default.places.extend(home.places);
        }
    }
    default.default = true;
    accounts.insert(0, default);
    let workspaces: Vec<Option<String>> = accounts.iter().map(|a| a.workspace.clone()).collect();
    for account in &mut accounts {
        account.shares_workspace =
            account.workspace.is_some() && workspaces.iter().filter(|w| **w == account.workspace).count() > 1;
    }
    // One email in two workspaces: each listing says which workspace it is.
    let emails: Vec<Option<String>> =
        accounts.iter().map(|a| a.email.as_ref().map(|e| e.to_ascii_lowercase())).collect();
    for account in &mut accounts {
        let email = account.email.as_ref().map(|e| e.to_ascii_lowercase());
        if email.is_some() && emails.iter().filter(|e| **e == email).count() > 1 {
            let plan = account.plan.as_deref().map(crate::humanize::plan_name);
            let note: Vec<String> = plan.into_iter().chain(account.workspace.clone()).collect();
            account.also_named = Some(format!("{} ({})", account.email.clone().unwrap_or_default(), note.join(", ")));
        }
    }
    accounts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::keychain::MemoryKeychain;
    use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};

    struct Homes {
        dir: tempfile::TempDir,
    }

    impl Homes {
        fn new() -> Homes {
            Homes { dir: tempfile::tempdir().unwrap() }
        }

        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        /// A Codex home with a ChatGPT login for `account`.
        fn login(&self, name: &str, email: &str, account: &str) -> PathBuf {
            let home = self.path(name);
            std::fs::create_dir_all(&home).unwrap();
            let access = make_jwt(&TestClaims::plus(email, account, 3_600));
            std::fs::write(home.join("auth.json"), codex_auth_json(&access, &access, Some(account))).unwrap();
            home
        }

        fn env(&self, codex_home: &Path) -> Environment {
            Environment {
                codex_home: codex_home.to_path_buf(),
                user_home: Some(self.path("user")),
                ..Default::default()
            }
        }
    }

    fn paste(keychain: &MemoryKeychain, email: &str, account: &str) {
        PastedTokens::new(keychain)
            .store(&SecretString::from(make_jwt(&TestClaims::plus(email, account, 3_600))))
            .unwrap();
    }

    fn ids(roster: &Roster) -> Vec<&str> {
        roster.accounts.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn one_home_is_one_default_account() {
        let homes = Homes::new();
        let home = homes.login("codex", "me@example.com", "acct-me");
        let roster = Roster::find(&homes.env(&home), &Settings::default(), &MemoryKeychain::default());
        assert_eq!(ids(&roster), ["acct-me/user-me"]);
        let account = roster.default_account();
        assert!(account.default);
        assert_eq!((account.label(), account.home()), ("me@example.com", Some(home.as_path())));
    }

    #[test]
    fn every_home_and_token_is_an_account_and_the_same_account_twice_is_one() {
        let homes = Homes::new();
        let default = homes.login("codex", "me@example.com", "acct-me");
        let work = homes.login("codex-work", "work@example.com", "acct-work");
        // A third home logged in to the same work account, written with a trailing slash.
        let again = homes.login("codex-work-2", "work@example.com", "acct-work");
        let keychain = MemoryKeychain::default();
        paste(&keychain, "colleague@example.com", "acct-col");
        paste(&keychain, "work@example.com", "acct-work");
        let settings = Settings {
            added_homes: vec![work.clone(), PathBuf::from(format!("{}/", work.display())), again.clone()],
            ..Settings::default()
        };
        let roster = Roster::find(&homes.env(&default), &settings, &keychain);
        assert_eq!(ids(&roster), ["acct-me/user-me", "acct-work/user-work", "acct-col/user-colleague"]);
        let work_account = &roster.accounts[1];
        // Its credential by the usual order: the pasted token before Codex's logins; its home the
        // first one added.
        assert!(matches!(work_account.places[0], Place::Pasted(_)), "{:?}", work_account.places);
        assert_eq!(work_account.home(), Some(work.as_path()));
        assert_eq!(work_account.places.len(), 3);
        let colleague = &roster.accounts[2];
        assert_eq!(colleague.home(), None, "a pasted token of another account has no home");
        assert!(!colleague.context(&homes.env(&default)).own_home);
    }

    #[test]
    fn the_default_is_the_default_homes_login_unless_the_variable_is_set() {
        let homes = Homes::new();
        let default = homes.login("codex", "me@example.com", "acct-me");
        let keychain = MemoryKeychain::default();
        paste(&keychain, "pasted@example.com", "acct-paste");
        let roster = Roster::find(&homes.env(&default), &Settings::default(), &keychain);
        assert_eq!(ids(&roster), ["acct-me/user-me", "acct-paste/user-pasted"]);
        let mut env = homes.env(&default);
        env.access_token = Some(SecretString::from(make_jwt(&TestClaims::plus("env@example.com", "acct-env", 60))));
        let roster = Roster::find(&env, &Settings::default(), &keychain);
        assert_eq!(ids(&roster), ["acct-env/user-env", "acct-me/user-me", "acct-paste/user-pasted"]);
        assert!(roster.default_account().uses_env_token());
        assert!(roster.accounts[1].context(&env).env.access_token.is_none(), "the variable is only its own account's");
    }

    #[test]
    fn without_a_login_in_the_default_home_a_pasted_token_stands_in_for_it() {
        let homes = Homes::new();
        let empty = homes.path("codex");
        std::fs::create_dir_all(&empty).unwrap();
        let keychain = MemoryKeychain::default();
        let roster = Roster::find(&homes.env(&empty), &Settings::default(), &keychain);
        assert_eq!(ids(&roster), [empty.display().to_string()], "the home alone: its logs, or 'no login'");
        paste(&keychain, "pasted@example.com", "acct-paste");
        let roster = Roster::find(&homes.env(&empty), &Settings::default(), &keychain);
        assert_eq!(ids(&roster), ["acct-paste/user-pasted"]);
        let account = roster.default_account();
        assert_eq!(account.home(), Some(empty.as_path()), "read with the default home's logs, as before");
        assert!(account.context(&homes.env(&empty)).own_home);
    }

    #[test]
    fn the_usual_folder_counts_only_with_a_login_and_an_added_home_that_vanished_is_gone() {
        let homes = Homes::new();
        let elsewhere = homes.login("elsewhere", "me@example.com", "acct-me");
        std::fs::create_dir_all(homes.path("user/.codex")).unwrap();
        let gone = homes.path("deleted-home");
        let settings = Settings { added_homes: vec![gone.clone()], ..Settings::default() };
        let roster = Roster::find(&homes.env(&elsewhere), &settings, &MemoryKeychain::default());
        assert_eq!(ids(&roster), ["acct-me/user-me".to_string(), gone.display().to_string()]);
        assert_eq!(roster.accounts[1].gone_home(), Some(gone.as_path()));
        assert!(roster.accounts[1].places[0].describe().ends_with("(added, gone)"));

        homes.login("user/.codex", "old@example.com", "acct-old");
        let roster = Roster::find(&homes.env(&elsewhere), &Settings::default(), &MemoryKeychain::default());
        assert_eq!(ids(&roster), ["acct-me/user-me", "acct-old/user-old"]);
        assert!(matches!(roster.accounts[1].places[0], Place::Home { origin: HomeOrigin::UsualFolder, .. }));
        // `~` in an added home is the user's home folder; adding ~/.codex makes it an added home.
        let settings = Settings { added_homes: vec![PathBuf::from("~/.codex")], ..Settings::default() };
        let roster = Roster::find(&homes.env(&elsewhere), &settings, &MemoryKeychain::default());
        assert!(matches!(roster.accounts[1].places[0], Place::Home { origin: HomeOrigin::Added, .. }));
    }

    #[test]
    fn accounts_are_named_by_id_email_or_path_and_the_pinned_one_is_shown() {
        let homes = Homes::new();
        let default = homes.login("codex", "me@example.com", "acct-me");
        let work = homes.login("codex-work", "Work@Example.com", "acct-work");
        let env = homes.env(&default);
        let settings = Settings { added_homes: vec![work.clone()], ..Settings::default() };
        let roster = Roster::find(&env, &settings, &MemoryKeychain::default());
        for name in ["acct-work", "work@example.com", work.to_str().unwrap()] {
            assert_eq!(roster.named(name, &env).map(|a| a.id.as_str()), Some("acct-work/user-work"), "{name}");
        }
        assert_eq!(roster.named("nobody@example.com", &env), None);
        assert_eq!(roster.shown(Some("work@example.com"), &env).id, "acct-work/user-work");
        assert_eq!(roster.shown(Some("gone@example.com"), &env).id, "acct-me/user-me", "a pin that names nobody");
        assert_eq!(roster.shown(None, &env).id, "acct-me/user-me");
        assert_eq!(roster.accounts[0].codex_command(), None, "the home Codex uses anyway");
        assert_eq!(roster.accounts[1].codex_command(), Some(codex_with_home(&work)));
        assert_eq!(shell_quote("/home/a b/it's"), "'/home/a b/it'\\''s'");
    }

    #[test]
    fn two_people_in_one_workspace_and_one_email_in_two_workspaces_are_four_accounts() {
        let homes = Homes::new();
        // alice and bob in one Team workspace, each their own Codex home.
        let alice = homes.login("codex", "alice@corp.example", "acct-team");
        let bob = homes.login("codex-bob", "bob@corp.example", "acct-team");
        // One email in a personal Plus and a company Team workspace.
        let personal = homes.login("codex-me", "me@example.org", "acct-personal");
        let me_at_work = homes.login("codex-me-work", "me@example.org", "acct-corp");
        let env = homes.env(&alice);
        let settings = Settings { added_homes: vec![bob, personal, me_at_work], ..Settings::default() };
        let roster = Roster::find(&env, &settings, &MemoryKeychain::default());
        assert_eq!(
            ids(&roster),
            ["acct-team/user-alice", "acct-team/user-bob", "acct-personal/user-me", "acct-corp/user-me"]
        );
        // Every listing tells the two me@example.org apart.
        let labels: Vec<&str> = roster.accounts.iter().map(WatchedAccount::label).collect();
        assert_eq!(
            labels,
            [
                "alice@corp.example",
                "bob@corp.example",
                "me@example.org (Plus, acct-personal)",
                "me@example.org (Plus, acct-corp)"
            ]
        );
        assert_eq!(roster.accounts[3].listing(), "me@example.org · Plus · acct-corp");
        // What was kept for acct-team alone is neither alice's nor bob's to take.
        let shares: Vec<bool> = roster.accounts.iter().map(|a| a.shares_workspace).collect();
        assert_eq!(shares, [true, true, false, false]);
        // A name that fits two is refused with both, never the first.
        match roster.resolve("me@example.org", &env) {
            Err(Unresolved::Ambiguous { matches, .. }) => assert_eq!(
                matches,
                [
                    "me@example.org · Plus · acct-personal (id acct-personal/user-me)",
                    "me@example.org · Plus · acct-corp (id acct-corp/user-me)"
                ]
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(roster.resolve("acct-team", &env), Err(Unresolved::Ambiguous { .. })));
        assert_eq!(roster.named("me@example.org", &env), None);
        assert_eq!(roster.resolve("acct-corp", &env).unwrap().id, "acct-corp/user-me");
        assert_eq!(roster.resolve("bob@corp.example", &env).unwrap().id, "acct-team/user-bob");
        assert_eq!(roster.resolve("acct-team/user-bob", &env).unwrap().id, "acct-team/user-bob");
        // A pin that became ambiguous shows the default account, not the first match.
        assert_eq!(roster.shown(Some("acct-team"), &env).id, "acct-team/user-alice");
    }

    #[test]
    fn the_command_for_another_home_is_written_for_the_platforms_shell() {
        assert_eq!(codex_with_home_in("/home/dev/.codex-work", false), "CODEX_HOME=/home/dev/.codex-work codex");
        assert_eq!(codex_with_home_in("/home/a b", false), "CODEX_HOME='/home/a b' codex");
        assert_eq!(
            codex_with_home_in(r"C:\Users\O'Brien\.codex work", true),
            r"$env:CODEX_HOME='C:\Users\O''Brien\.codex work'; codex"
        );
    }
}

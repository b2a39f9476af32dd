//! `headroom`: how much of your Codex plan is left, in a terminal.

mod accounts;
mod doctor;
mod error;
mod fallback;
mod history;
mod output;
mod render;
mod reset_credit;
mod runtime;
mod secret_input;
mod token;
mod usage;
mod watch;

use std::process::ExitCode;

use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use headroom_core::accounts::read::{read_account, read_accounts};
use headroom_core::accounts::roster::{Roster, WatchedAccount};
use headroom_core::environment::Environment;
use headroom_core::humanize;
use headroom_core::login::keychain::OsKeychain;
use headroom_core::present::bar_format::{self, Template};
use headroom_core::present::guard::GuardWindow;
use headroom_core::present::status_json::status_json;
use headroom_core::sources::shared_numbers::{self, MaxAge, SharedNumbers};
use headroom_core::status::ReadOptions;
use headroom_core::{Context, SourcePreference};

use crate::error::{CliError, Outcome};

#[derive(Parser)]
#[command(name = "headroom", version, about = "How much of your Codex plan's usage limits is left.")]
struct Cli {
    /// Log what Headroom does to stderr (never secrets).
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Show the numbers: each window's use, when it resets, and what blocks you.
    Status {
        /// Print the machine-readable contract (schema 1) instead of text.
        #[arg(long)]
        json: bool,
        /// Where to get the numbers.
        #[arg(long, value_enum, default_value_t = Source::Auto)]
        source: Source,
        /// Every account, one block each (JSON: {"schema": 1, "accounts": [...]}); exits 0 when
        /// every account has numbers, else with the first failing account's code.
        #[arg(long, conflicts_with = "account")]
        all: bool,
        /// One account, by its email, account id or Codex home (default: the default account).
        #[arg(long, value_name = "EMAIL|ACCOUNT_ID|HOME")]
        account: Option<String>,
        /// One line for a status bar: `waybar` (its JSON: text, tooltip, class, percentage, alt),
        /// or a template such as "{5h.left}% · {weekly.left}%" (tmux, polybar, i3blocks).
        #[arg(long, value_name = "waybar|TEMPLATE", conflicts_with_all = ["json", "all"])]
        format: Option<String>,
        #[command(flatten)]
        freshness: Freshness,
        /// Keep running and print a new line each time the numbers change (with --format or
        /// --json), asking the service on the tray's schedule and never faster.
        #[arg(long, conflicts_with_all = ["all", "max_age"])]
        watch: bool,
    },
    /// Exit 0 when there is room, 1 when the chosen window has less left than asked or a limit
    /// blocks, 2/3/4 as `status` when it cannot tell: `headroom guard --min-left 20 && codex exec …`.
    Guard {
        /// The least room, in percent left, that counts as enough.
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=100))]
        min_left: u32,
        /// The window to hold against (default: any window that can stop Codex).
        #[arg(long, value_enum, default_value_t = GuardWindowArg::Any)]
        window: GuardWindowArg,
        /// One account, by its email, account id or Codex home (default: the default account).
        #[arg(long, value_name = "EMAIL|ACCOUNT_ID|HOME")]
        account: Option<String>,
        #[command(flatten)]
        freshness: Freshness,
    },
    /// The accounts Headroom watches: each Codex home and each pasted token.
    Accounts {
        #[command(subcommand)]
        action: Option<AccountsAction>,
    },
    /// Show every place Headroom looks for numbers and credentials, and what it found.
    Doctor,
    /// Switch Codex to an OpenAI API key when the plan runs out, and back.
    Fallback {
        #[command(subcommand)]
        action: FallbackAction,
    },
    /// Keep a ChatGPT token you pasted in the OS keychain (never in a file).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// The usage history Headroom has recorded (each window's use over time), for export.
    History {
        /// Comma-separated values, one row per window per moment.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// JSON: {"samples": [...]}.
        #[arg(long)]
        json: bool,
        /// How many days back (default: all kept, 180 days).
        #[arg(long)]
        days: Option<u32>,
        /// Only this account's samples (its email, account id or Codex home).
        #[arg(long, value_name = "EMAIL|ACCOUNT_ID|HOME")]
        account: Option<String>,
    },
    /// Banked reset credits: use one when a limit blocks (it asks first).
    ResetCredit {
        #[command(subcommand)]
        action: ResetCreditAction,
    },
    /// Tokens Codex used on this machine (from its session logs, no network).
    Usage {
        /// Per day, per month, or per session.
        #[arg(value_enum)]
        grouping: usage::Grouping,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// First date to include (YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        /// Last date to include (YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// Time zone that days and months are counted in (IANA name; default: the system's).
        #[arg(long)]
        timezone: Option<String>,
        /// The Codex home of this account (its email, account id or home; default: the default account's).
        #[arg(long, value_name = "EMAIL|ACCOUNT_ID|HOME")]
        account: Option<String>,
    },
}

/// How old numbers may be before the service is asked again.
#[derive(clap::Args, Clone, Copy)]
struct Freshness {
    /// Answer from numbers the tray or an earlier run got when they are younger than this many
    /// seconds (default: 60, or until the tray's next poll); 0 always asks the service.
    #[arg(long, value_name = "SECONDS", value_parser = parse_max_age, allow_hyphen_values = true)]
    max_age: Option<u32>,
}

impl Freshness {
    fn shared_numbers(self) -> Option<SharedNumbers> {
        let max_age = match self.max_age {
            None => MaxAge::Default,
            Some(seconds) => MaxAge::At(chrono::Duration::seconds(i64::from(seconds))),
        };
        SharedNumbers::at_default(max_age, shared_numbers::DEFAULT_MAX_AGE)
    }
}

fn parse_max_age(value: &str) -> Result<u32, String> {
    value.trim().parse().map_err(|_| {
        format!("--max-age takes a whole number of seconds, such as 60 (0 always asks the service), not {value:?}.")
    })
}

#[derive(Subcommand)]
enum AccountsAction {
    /// Each account, where it was found, and the command that runs Codex with it.
    List,
    /// Watch another Codex home (a folder holding a Codex login); saved in settings.toml.
    Add { path: std::path::PathBuf },
    /// Stop watching an added home (a token pasted for the account stays), or, with --token,
    /// remove the token pasted for the account from the keychain.
    Remove {
        #[arg(value_name = "EMAIL|ACCOUNT_ID|HOME")]
        name: String,
        /// Remove the token pasted into Headroom for this account (its homes stay watched).
        #[arg(long)]
        token: bool,
    },
    /// Show this account in the tray icon.
    Pin {
        #[arg(value_name = "EMAIL|ACCOUNT_ID|HOME")]
        name: String,
    },
    /// Show the default account in the tray icon again.
    Unpin,
}

#[derive(Subcommand)]
enum FallbackAction {
    /// Read an API key from standard input and keep it in the OS keychain.
    SetKey {
        /// Refused: a key given on the command line shows in shell history and `ps`.
        #[arg(hide = true, num_args = 0.., allow_hyphen_values = true)]
        refused: Vec<String>,
    },
    /// Remove the fallback key from the keychain.
    ClearKey,
    /// Which login Codex uses now, and what is saved (never the key itself).
    Status,
    /// Save Codex's ChatGPT login in the keychain and switch Codex to the key, now.
    Switch,
    /// Put the saved ChatGPT login back (only over the login Headroom wrote).
    Restore {
        /// Put back the login an earlier version of Headroom saved, which did not note its Codex
        /// home: only when you know it is this home's.
        #[arg(long)]
        from_earlier_version: bool,
    },
}

#[derive(Subcommand)]
enum ResetCreditAction {
    /// Use one now, when a limit blocks or nearly blocks: names the credit, asks for a typed
    /// "yes", then resets the limits (it cannot be undone).
    Use {
        /// The credit to use (`headroom status --json` lists them); default: the one that
        /// expires soonest.
        #[arg(long)]
        id: Option<String>,
        /// One account, by its email, account id or Codex home (default: the default account).
        #[arg(long, value_name = "EMAIL|ACCOUNT_ID|HOME")]
        account: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenAction {
    /// Read a token (or the session cookie) from standard input and keep it in the OS keychain.
    Set {
        /// Refused: a token given on the command line shows in shell history and `ps`.
        #[arg(hide = true, num_args = 0.., allow_hyphen_values = true)]
        refused: Vec<String>,
    },
    /// Show the stored token's mask, account, plan and expiry.
    Status {
        /// Also ask the usage service whether it accepts the token.
        #[arg(long)]
        check: bool,
    },
    /// Remove the stored token from the keychain.
    Clear,
}

#[derive(Clone, Copy, ValueEnum)]
enum GuardWindowArg {
    Any,
    #[value(name = "5h")]
    FiveHour,
    Weekly,
    Monthly,
}

impl From<GuardWindowArg> for GuardWindow {
    fn from(window: GuardWindowArg) -> Self {
        match window {
            GuardWindowArg::Any => GuardWindow::Any,
            GuardWindowArg::FiveHour => GuardWindow::Kind(headroom_core::WindowKind::FiveHour),
            GuardWindowArg::Weekly => GuardWindow::Kind(headroom_core::WindowKind::Weekly),
            GuardWindowArg::Monthly => GuardWindow::Kind(headroom_core::WindowKind::Monthly),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Source {
    /// The live API when a login exists, else Codex's session logs.
    Auto,
    /// Only the live API.
    Api,
    /// Only Codex's session logs (no network).
    Logs,
}

impl From<Source> for SourcePreference {
    fn from(source: Source) -> Self {
        match source {
            Source::Auto => SourcePreference::Auto,
            Source::Api => SourcePreference::Api,
            Source::Logs => SourcePreference::Logs,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.verbose {
        headroom_core::logging::log_to_stderr("info");
    }
    // The Codex folder chosen in Headroom's settings applies here as in the tray; what in the
    // file cannot be used is said on every run (the rest still applies).
    let (settings, problems) = headroom_core::settings::load_default();
    for problem in &problems {
        eprintln!("headroom: {problem}");
    }
    let env = settings.environment();
    let ctx = Context::load(env.clone());
    if let Some(error) = &ctx.config_error {
        eprintln!("headroom: {error}.");
    }
    let default = Command::Status {
        json: false,
        source: Source::Auto,
        all: false,
        account: None,
        format: None,
        freshness: Freshness { max_age: None },
        watch: false,
    };
    error::finish(run(cli.command.unwrap_or(default), ctx, env, settings))
}

/// Carries out one command: what it ends with, or the error that stopped it (said by `finish`).
fn run(command: Command, ctx: Context, env: Environment, settings: headroom_core::settings::Settings) -> Outcome {
    match command {
        Command::Status { json, source, all: true, freshness, .. } => {
            let numbers = freshness.shared_numbers();
            let options = ReadOptions { shared: numbers.as_ref(), ..ReadOptions::from(source.into()) };
            status_all(&env, &settings, json, &options)
        }
        Command::Status { json, source, account, format, freshness, watch, .. } => {
            let output = match format.as_deref().map(Output::parse).transpose().map_err(CliError::refused)? {
                Some(output) => output,
                None if json => Output::Json,
                None if watch => return Err(CliError::refused(
                    "--watch prints one line each time the numbers change: add --format waybar, --format TEMPLATE or --json.",
                )),
                None => Output::Text,
            };
            let account = accounts::chosen(&env, &settings, account.as_deref())?;
            if watch {
                return watch::run(&env, &account, &settings, &output, source.into());
            }
            let numbers = freshness.shared_numbers();
            let options = ReadOptions { shared: numbers.as_ref(), ..ReadOptions::from(source.into()) };
            status(&env, &account, &settings, &output, &options)
        }
        Command::Guard { min_left, window, account, freshness } => {
            let account = accounts::chosen(&env, &settings, account.as_deref())?;
            guard(&env, &account, &settings, min_left, window.into(), freshness)
        }
        Command::Accounts { action: None | Some(AccountsAction::List) } => accounts::list(&env, &settings),
        Command::Accounts { action: Some(AccountsAction::Add { path }) } => accounts::add(&env, &path),
        Command::Accounts { action: Some(AccountsAction::Remove { name, token }) } => {
            accounts::remove(&env, &name, token)
        }
        Command::Accounts { action: Some(AccountsAction::Pin { name }) } => accounts::pin(&env, Some(&name)),
        Command::Accounts { action: Some(AccountsAction::Unpin) } => accounts::pin(&env, None),
        Command::Doctor => Ok(doctor::run(&ctx, &env, &settings)),
        Command::Fallback { action: FallbackAction::SetKey { refused } } => fallback::set_key(&ctx, &refused),
        Command::Fallback { action: FallbackAction::ClearKey } => fallback::clear_key(),
        Command::Fallback { action: FallbackAction::Status } => fallback::status(&ctx),
        Command::Fallback { action: FallbackAction::Switch } => fallback::switch(&ctx),
        Command::Fallback { action: FallbackAction::Restore { from_earlier_version } } => {
            fallback::restore(&ctx, from_earlier_version)
        }
        Command::Token { action: TokenAction::Set { refused } } => token::set(&ctx, &refused),
        Command::Token { action: TokenAction::Status { check } } => token::status(&ctx, check),
        Command::Token { action: TokenAction::Clear } => token::clear(),
        Command::ResetCredit { action: ResetCreditAction::Use { id, account } } => {
            let account = accounts::chosen(&env, &settings, account.as_deref())?;
            reset_credit::use_one(&env, &account, &settings, id.as_deref())
        }
        Command::History { csv, json, days, account } => {
            let account = account.map(|name| accounts::chosen(&env, &settings, Some(&name))).transpose()?;
            history::export(csv, json, days, account.as_ref())
        }
        Command::Usage { grouping, json, since, until, timezone, account } => {
            let ctx = match account {
                None => ctx,
                Some(name) => {
                    let account = accounts::chosen(&env, &settings, Some(&name))?;
                    if account.home().is_none() {
                        return Err(CliError::refused(format!("{} has no Codex home on this machine: token usage is read from a Codex home's session logs.", account.label())));
                    }
                    account.context(&env)
                }
            };
            usage::run(&ctx, &usage::Options { grouping, json, since, until, timezone })
        }
    }
}

/// How `status` prints one account.
pub(crate) enum Output {
    Text,
    Json,
    Waybar,
    Template(Template),
}

impl Output {
    /// What `status` prints for `report`: JSON pretty or on one line (`--watch`), a bar's line
    /// whatever happened (its class or its "-" says so), or the text block when there are numbers.
    /// Advice to run Codex names `account`'s home (`CODEX_HOME=… codex`) wherever it is said.
    pub(crate) fn render(
        &self,
        report: &headroom_core::StatusReport,
        account: &WatchedAccount,
        settings: &headroom_core::settings::Settings,
        now: chrono::DateTime<Utc>,
        pretty: bool,
    ) -> String {
        let command = account.codex_command();
        match self {
            Output::Json if pretty => {
                let value = json_in_home(report, command.as_deref());
                format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
            }
            Output::Json => format!("{}\n", json_in_home(report, command.as_deref())),
            Output::Waybar => format!("{}\n", bar_format::waybar(report, settings, now, command.as_deref())),
            Output::Template(template) => format!("{}\n", template.render(report, settings, now)),
            Output::Text if report.snapshot.is_some() => render::status_text(report, settings, now, command.as_deref()),
            Output::Text => String::new(),
        }
    }

    /// `--format`: `waybar`, or a template checked before anything is asked.
    fn parse(format: &str) -> Result<Output, String> {
        match format {
            "waybar" => Ok(Output::Waybar),
            template => Template::parse(template).map(Output::Template).map_err(|e| e.to_string()),
        }
    }
}

/// `status --json`'s object, its error's advice naming the account's home.
fn json_in_home(report: &headroom_core::StatusReport, command: Option<&str>) -> serde_json::Value {
    let mut value = status_json(report);
    if let Some(message) = value["error"]["message"].as_str() {
        value["error"]["message"] = humanize::in_home(message, command).into();
    }
    value
}

/// Reads one account now, on a runtime of its own (which may fail to start).
pub(crate) fn read_one(
    env: &Environment,
    account: &WatchedAccount,
    options: &ReadOptions<'_>,
) -> Result<(headroom_core::accounts::read::AccountReport, chrono::DateTime<Utc>), CliError> {
    let runtime = runtime::single_threaded().map_err(CliError::failed)?;
    let now = Utc::now();
    Ok((runtime.block_on(read_account(account, env, &OsKeychain, options, now)), now))
}

/// `headroom guard`: reads the account, then says whether there is room.
fn guard(
    env: &Environment,
    account: &WatchedAccount,
    settings: &headroom_core::settings::Settings,
    min_left: u32,
    window: GuardWindow,
    freshness: Freshness,
) -> Outcome {
    let numbers = freshness.shared_numbers();
    let options = ReadOptions { shared: numbers.as_ref(), ..ReadOptions::from(SourcePreference::Auto) };
    let (answer, now) = read_one(env, account, &options)?;
    let verdict = headroom_core::present::guard::guard(&answer.report, min_left, window, settings.stale_after(), now);
    let line = humanize::in_home(&verdict.line, account.codex_command().as_deref());
    if verdict.code == 0 || (answer.report.snapshot.is_some() && verdict.code == 1) {
        crate::output::say!("{line}");
        Ok(verdict.code)
    } else {
        Err(CliError::WithCode { sentence: line, code: verdict.code })
    }
}

fn status(
    env: &Environment,
    account: &WatchedAccount,
    settings: &headroom_core::settings::Settings,
    output: &Output,
    options: &ReadOptions<'_>,
) -> Outcome {
    let json = matches!(output, Output::Json);
    let (answer, now) = read_one(env, account, options)?;
    if let Some(notice) = &answer.history_notice {
        // History trouble never stops the numbers; said once, on stderr.
        eprintln!("headroom: {notice}");
    }
    let report = &answer.report;
    let written = output::print(&output.render(report, account, settings, now, true));
    if let Some(error) = &report.error {
        let error = humanize::in_home(&error.to_string(), account.codex_command().as_deref());
        if report.snapshot.is_none() {
            eprintln!("{error}");
        } else if json {
            eprintln!("Showing Codex's session-log numbers because: {error}");
        }
    }
    if let Some(note) =
        report.snapshot.as_ref().and_then(|s| headroom_core::present::doctor::unreadable_sentence(&s.unreadable))
    {
        eprintln!("{note}");
    }
    if written != 0 {
        // A closed pipe (`headroom status | head -1`) is not worth a panic.
        return Ok(1);
    }
    Ok(report.exit_code())
}

/// `status --all`: every account, read at once; one block (or one JSON object) each.
fn status_all(
    env: &Environment,
    settings: &headroom_core::settings::Settings,
    json: bool,
    options: &ReadOptions<'_>,
) -> Outcome {
    let runtime = runtime::single_threaded().map_err(CliError::failed)?;
    let roster = Roster::find(env, settings, &OsKeychain);
    for problem in &roster.problems {
        eprintln!("headroom: {problem}");
    }
    let now = Utc::now();
    let answers = runtime.block_on(read_accounts(&roster.accounts, env, &OsKeychain, options, now));
    let written = if json {
        let accounts: Vec<serde_json::Value> = answers
            .iter()
            .map(|a| {
                let mut value = json_in_home(&a.report, a.account.codex_command().as_deref());
                value["id"] = a.account.id.clone().into();
                value["home"] = a.account.home().map(|h| h.display().to_string()).into();
                value["default"] = a.account.default.into();
                value
            })
            .collect();
        let all = serde_json::json!({ "schema": headroom_core::present::status_json::SCHEMA, "accounts": accounts });
        output::print(&format!("{}\n", serde_json::to_string_pretty(&all).unwrap_or_default()))
    } else {
        let blocks: Vec<String> = answers
            .iter()
            .map(|a| {
                let mut block = match &a.report.snapshot {
                    Some(_) => render::status_text(&a.report, settings, now, a.account.codex_command().as_deref()),
                    None => format!("{}\n", a.account.label()),
                };
                if let Some(error) = &a.report.error {
                    let advice = humanize::in_home(&error.to_string(), a.account.codex_command().as_deref());
                    block.push_str(&format!("  {advice}\n"));
                }
                if let Some(command) = a.account.codex_command() {
                    block.push_str(&format!("  Use it: {command}\n"));
                }
                block
            })
            .collect();
        output::print(&blocks.join("\n"))
    };
    for notice in answers.iter().filter_map(|a| a.history_notice.as_ref()) {
        eprintln!("headroom: {notice}");
    }
    if written != 0 {
        return Ok(1);
    }
    Ok(answers.iter().map(|a| a.report.exit_code()).find(|code| *code != 0).unwrap_or(0))
}

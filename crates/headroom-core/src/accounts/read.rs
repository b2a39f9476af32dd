//! Reading every account: each with its own context (its home's config and session logs, its own
//! credential), all at once, so a slow or failing account never delays or hides the others.

use chrono::{DateTime, Utc};

use crate::accounts::roster::WatchedAccount;
use crate::environment::Environment;
use crate::error::UsageError;
use crate::login::keychain::Keychain;
use crate::login::pasted_tokens::PastedTokens;
use crate::login::vault::PastedTokenSource;
use crate::sources::reset_credits::{ConsumeOutcome, PendingUse, ResetCreditStore};
use crate::status::{read_and_record, ReadOptions, StatusReport};

/// One account's answer.
#[derive(Debug, Clone)]
pub struct AccountReport {
    pub account: WatchedAccount,
    pub report: StatusReport,
    /// History trouble, said once; never costs the numbers.
    pub history_notice: Option<String>,
}

/// Reads one account, recording its numbers in the history (see [`read_and_record`]).
pub async fn read_account(
    account: &WatchedAccount,
    env: &Environment,
    keychain: &dyn Keychain,
    options: &ReadOptions<'_>,
    now: DateTime<Utc>,
) -> AccountReport {
    if let Some(trouble) = &account.trouble {
        // Known to be unreadable before asking (its token is behind a locked keychain): said,
        // never hidden.
        let report = StatusReport {
            snapshot: None,
            credential: None,
            error: Some(UsageError::Unreadable(trouble.clone())),
            log_file: None,
            paces: Vec::new(),
        };
        return AccountReport { account: account.clone(), report, history_notice: None };
    }
    if let Some(path) = account.gone_home() {
        let report = StatusReport {
            snapshot: None,
            credential: None,
            error: Some(UsageError::HomeGone { path: path.to_path_buf() }),
            log_file: None,
            paces: Vec::new(),
        };
        return AccountReport { account: account.clone(), report, history_notice: None };
    }
    let ctx = account.context(env);
    let tokens = PastedTokens::new(keychain);
    let pasted = account.pasted().map(|entry| tokens.source(entry.clone()));
    let options = ReadOptions { carry_over: !account.shares_workspace, ..*options };
    let (report, history_notice) =
        read_and_record(&ctx, keychain, pasted.as_ref().map(|p| p as &dyn PastedTokenSource), &options, now).await;
    AccountReport { account: account.clone(), report, history_notice }
}

/// Where `account`'s numbers come from now, found as a read finds its credential (nothing is
/// sent): "Codex's login file (/h/.codex/auth.json)", "the token pasted into Headroom (…)"; or
/// the sentence saying why there is none. One account at a time: a token pasted for another
/// account is never this one's source.
pub fn numbers_source(account: &WatchedAccount, env: &Environment, keychain: &dyn Keychain) -> Result<String, String> {
    use crate::login::credentials::DiscoverMode;
    if let Some(trouble) = &account.trouble {
        return Err(trouble.clone());
    }
    if let Some(path) = account.gone_home() {
        return Err(UsageError::HomeGone { path: path.to_path_buf() }.to_string());
    }
    let ctx = account.context(env);
    let tokens = PastedTokens::new(keychain);
    let pasted = account.pasted().map(|entry| tokens.source(entry.clone()));
    let discovery =
        ctx.discover(keychain, pasted.as_ref().map(|p| p as &dyn PastedTokenSource), DiscoverMode::FirstFound);
    match discovery.credential() {
        Some(c) => Ok(format!("{} ({})", c.origin.describe(), c.location)),
        None => {
            Err(crate::humanize::in_home(&discovery.missing_error().to_string(), account.codex_command().as_deref()))
        }
    }
}

/// Uses one banked reset credit of `account`, after the user said yes: with the credential its
/// numbers are read with (a Codex access token's owner asked first, as for usage). `account_key`
/// is whose numbers these are ([`crate::model::AccountKey`]), which the request is kept under.
pub async fn use_reset_credit(
    account: &WatchedAccount,
    env: &Environment,
    keychain: &dyn Keychain,
    account_key: &str,
    credit_id: &str,
    now: DateTime<Utc>,
) -> Result<ConsumeOutcome, UseError> {
    use crate::login::credentials::DiscoverMode;
    let ctx = account.context(env);
    let tokens = PastedTokens::new(keychain);
    let pasted = account.pasted().map(|entry| tokens.source(entry.clone()));
    let discovery =
        ctx.discover(keychain, pasted.as_ref().map(|p| p as &dyn PastedTokenSource), DiscoverMode::FirstFound);
    let Some(credential) = discovery.credential().cloned() else {
        return Err(UseError::NotSent(discovery.missing_error()));
    };
    crate::status::sendable(&credential, now).map_err(UseError::NotSent)?;
    // A Codex access token names no account: its owner, as every read finds it.
    let credential = crate::status::owned(&ctx, credential).await.map_err(|(_, e)| UseError::NotSent(e))?;
    let client = ctx.client().map_err(UseError::NotSent)?;
    let store = ResetCreditStore::in_data_dir(ctx.env.data_dir.as_deref()).ok_or(UseError::NoDataFolder)?;
    use_credit(&client, &credential, &store, account_key, credit_id, now).await
}

/// Sends the user's decision to use `credit_id`: one request id per decision, kept on disk before
/// the request leaves, so a request whose answer was lost (a timeout, a 5xx, a crash) is sent
/// again with the same id — by this call twice more, or by the next decision about the same
/// credit within the hour — and the service spends at most one credit. Once the service answers,
/// the decision is settled and the list is read again next time.
async fn use_credit(
    client: &crate::sources::client::UsageClient,
    credential: &crate::login::credentials::Credential,
    store: &ResetCreditStore,
    account: &str,
    credit_id: &str,
    now: DateTime<Utc>,
) -> Result<ConsumeOutcome, UseError> {
    let pending = match store.pending(account, credit_id, now) {
        Some(pending) => {
            tracing::info!("an earlier request to use this reset credit got no answer: sending it again as it was");
            pending
        }
        None => PendingUse {
            request_id: uuid::Uuid::new_v4().to_string(),
            credit_id: credit_id.to_string(),
            decided_at: now,
        },
    };
    store.save_pending(account, &pending).map_err(|e| UseError::NotKept(e.to_string()))?;
    let mut last = None;
    for (attempt, wait) in [0u64, 1, 3].into_iter().enumerate() {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        }
        match client.consume_reset_credit(credential, &pending.request_id, Some(&pending.credit_id)).await {
            Ok(outcome) => {
                store.settle(account);
                store.forget_list(account);
                return Ok(outcome);
            }
            // Lost on the way or failed at the service: the same request again is safe.
            Err(e @ (crate::error::UsageError::Network { .. } | crate::error::UsageError::ServerError { .. })) => {
                last = Some(e)
            }
            // Refused before anything was done: the login, or the service asking for a pause.
            Err(e @ (crate::error::UsageError::Unauthorized { .. } | crate::error::UsageError::RateLimited { .. })) => {
                return Err(UseError::Refused(e))
            }
            // An answer that is not one: whether the credit was used cannot be told.
            Err(e) => return Err(UseError::Unanswered(e)),
        }
    }
    Err(UseError::Unanswered(last.unwrap_or(crate::error::UsageError::ServerError { status: 500 })))
}

/// Why a decision to use a credit has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UseError {
    /// No request left: no usable login, or the service cannot be reached as configured.
    #[error("{0}")]
    NotSent(crate::error::UsageError),
    #[error("Headroom has no data folder to keep the request in: set HOME (or XDG_DATA_HOME).")]
    NoDataFolder,
    #[error("The request could not be kept before sending it ({0}), so it was not sent: free some disk space and try again.")]
    NotKept(String),
    #[error("No usable answer came ({}), so the credit may or may not have been used: using the same credit again within the hour resends the same request, so at most one credit is ever used.", brief(.0))]
    Unanswered(crate::error::UsageError),
    #[error("{}; nothing was used.", crate::text::without_full_stop(&.0.to_string()))]
    Refused(crate::error::UsageError),
}

/// What went wrong, without the next step the full sentence carries: "the usage service failed
/// (HTTP 500)" (the next step for an unanswered use is a different one).
fn brief(error: &crate::error::UsageError) -> String {
    let sentence = error.to_string();
    crate::text::decapitalise(crate::text::without_full_stop(crate::text::first_clause(&sentence)))
}

/// Reads the given accounts at once; the answers come back in the same order.
pub async fn read_accounts(
    accounts: &[WatchedAccount],
    env: &Environment,
    keychain: &dyn Keychain,
    options: &ReadOptions<'_>,
    now: DateTime<Utc>,
) -> Vec<AccountReport> {
    futures_util::future::join_all(accounts.iter().map(|account| read_account(account, env, keychain, options, now)))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unanswered_use_says_briefly_what_went_wrong() {
        let lost = UseError::Unanswered(UsageError::Network {
            host: "chatgpt.com".into(),
            cause: "connection failed: connection refused".into(),
        });
        assert_eq!(
            lost.to_string(),
            "No usable answer came (could not reach chatgpt.com (connection failed: connection refused)), so the credit may or may not have been used: using the same credit again within the hour resends the same request, so at most one credit is ever used."
        );
    }
}

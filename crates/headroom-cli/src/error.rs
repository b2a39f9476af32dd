//! Why a command stopped, typed: each command answers with an [`Outcome`], and [`finish`] is the
//! one place that says the error (one sentence on stderr) and picks the process's exit code.
//! Notices along the way (a settings problem, "Exchanged the session cookie…") are not errors:
//! they are said where they happen and the command goes on.

use std::fmt::Display;
use std::process::ExitCode;

/// A command that could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command as typed cannot be carried out (a flag's value, a name that names no
    /// account, nothing stored to show): exit 2.
    #[error("{0}")]
    Refused(String),
    /// It was tried and failed (the keychain, a file, the network): exit 1.
    #[error("{0}")]
    Failed(String),
    /// A failure whose kind has an exit code of its own (the usage service's errors: 3, 4 …).
    #[error("{sentence}")]
    WithCode { sentence: String, code: u8 },
}

impl CliError {
    pub fn refused(sentence: impl Display) -> CliError {
        CliError::Refused(sentence.to_string())
    }

    pub fn failed(sentence: impl Display) -> CliError {
        CliError::Failed(sentence.to_string())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Refused(_) => 2,
            CliError::Failed(_) => 1,
            CliError::WithCode { code, .. } => *code,
        }
    }
}

/// A command's end: its exit code (0, or what the numbers say: 3 when a limit blocks, …), or
/// the error that stopped it.
pub type Outcome = Result<u8, CliError>;

/// Says the error, if any, and ends with the code it picks.
pub fn finish(outcome: Outcome) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("{error}");
            ExitCode::from(error.exit_code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_error_has_its_exit_code() {
        assert_eq!(CliError::refused("No such account.").exit_code(), 2);
        assert_eq!(CliError::failed("The keychain is locked.").exit_code(), 1);
        assert_eq!(CliError::WithCode { sentence: "Blocked.".into(), code: 3 }.exit_code(), 3);
        assert_eq!(CliError::refused("No such account.").to_string(), "No such account.");
    }
}

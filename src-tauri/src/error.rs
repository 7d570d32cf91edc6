//! What crosses the boundary when a command fails: a stable `code` the UI can act on
//! (`wrong-passphrase`, `locked`, `vendor-key-changed`, …) and a `message` for people.

use serde::Serialize;

/// A command's failure, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CommandError {
    /// Stable and short: the agent's error code, or `locked`, `invalid`.
    pub code: String,
    /// One line a person can act on.
    pub message: String,
}

impl CommandError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }

    pub(crate) fn locked() -> Self {
        Self::new("locked", "the vault is locked: unlock it first")
    }
}

impl From<parley_agent::Error> for CommandError {
    fn from(e: parley_agent::Error) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_as_code_and_message() {
        let e: CommandError = parley_agent::Error::WrongPassphrase.into();
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "wrong-passphrase", "message": "wrong passphrase"})
        );
        assert_eq!(serde_json::to_value(CommandError::locked()).unwrap()["code"], "locked");
    }
}

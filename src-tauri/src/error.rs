//! What crosses the boundary when a command fails: a stable `code` the UI acts on, and
//! a `message` for people. The codes are the agent's ([`ErrorCode`]: a wrong
//! passphrase, a vendor whose key changed, a consent to ask for, …) and the app's own
//! `locked`; their TypeScript type is generated with the bindings, so the UI's branches
//! are checked against them.

use parley_agent::ErrorCode;
use parley_protocol::{Category, Purpose};
use serde::Serialize;

/// What a failure is, for the UI to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(untagged)]
pub enum Code {
    /// A failure the agent names.
    Agent(ErrorCode),
    /// A failure of the app itself.
    App(AppCode),
}

/// The app's own failures the UI acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum AppCode {
    /// The vault is locked: the person unlocks it first.
    Locked,
}

/// A command's failure, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CommandError {
    /// Stable and short.
    pub code: Code,
    /// One line a person can act on.
    pub message: String,
    /// With `consent-missing`: what consent would let the message go, so the app can
    /// ask for it there and then.
    pub consent: Option<ConsentNeeded>,
}

/// The consent a message waits for: the vendor, what the message carries, what for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ConsentNeeded {
    /// The vendor's name.
    pub vendor: String,
    /// What the message would carry.
    pub category: Category,
    /// The purposes that would cover it, the usual one first.
    pub purposes: Vec<Purpose>,
}

impl CommandError {
    /// A failure of the app's own (a bad argument, a dialog that closed, …), which the UI
    /// shows as it is.
    pub(crate) fn other(message: impl Into<String>) -> Self {
        Self { code: Code::Agent(ErrorCode::Other), message: message.into(), consent: None }
    }

    pub(crate) fn locked() -> Self {
        Self {
            code: Code::App(AppCode::Locked),
            message: "the vault is locked: unlock it first".into(),
            consent: None,
        }
    }
}

impl From<parley_agent::Error> for CommandError {
    fn from(e: parley_agent::Error) -> Self {
        let consent = match &e {
            parley_agent::Error::ConsentMissing { vendor, category, purposes } => Some(ConsentNeeded {
                vendor: vendor.clone(),
                category: *category,
                purposes: purposes.clone(),
            }),
            _ => None,
        };
        Self { code: Code::Agent(e.code()), message: e.to_string(), consent }
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
            serde_json::json!({"code": "wrong-passphrase", "message": "wrong passphrase", "consent": null})
        );
        let missing: CommandError = parley_agent::Error::ConsentMissing {
            vendor: "Acme".into(),
            category: Category::Feedback,
            purposes: vec![Purpose::Improvement],
        }
        .into();
        assert_eq!(
            serde_json::to_value(&missing).unwrap()["consent"],
            serde_json::json!({"vendor": "Acme", "category": "feedback", "purposes": ["improvement"]}),
            "the app asks for exactly this consent"
        );
        assert_eq!(serde_json::to_value(CommandError::locked()).unwrap()["code"], "locked");
        assert_eq!(serde_json::to_value(CommandError::other("no")).unwrap()["code"], "other");
    }
}

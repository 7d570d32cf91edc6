//! `parley-agent`: the person's side of Parley, as a library.
//!
//! The desktop app, the `parley` CLI and the tests all call this same API. Two halves:
//!
//! - **Storage**: open a [`Vault`] (an encrypted SQLite database; [`vault`]) and work
//!   with its records through accessors — `vault.products()`, `vault.vendors()`,
//!   `vault.intents()`, `vault.feedback()`, `vault.support()`, `vault.consents()`
//!   ([`records`]) —, what left and what came back ([`outbox`], [`inbox`]), [`search`],
//!   the hash-chained [`audit`] log, encrypted [`backup`]s. Each table's SQL is in its
//!   own module, nowhere else.
//! - **Dealing with vendors**: an [`Agent`] holds the vault and an HTTP transport;
//!   [`exchange`] finds vendors and pins their keys, sends records as signed messages
//!   under the person's consents, delivers the outbox and pulls replies.
//!
//! Ids are typed ([`ids`]), states are enums, and an unreadable stored value is an
//! error ([`Error::Damaged`]), never a default. Nothing here prints or prompts; errors
//! say what happened, and each front end adds what to do next.
#![forbid(unsafe_code)]

pub mod access;
pub mod audit;
pub mod backup;
pub mod clock;
pub mod error;
pub mod exchange;
pub mod identity;
pub mod ids;
pub mod inbox;
pub mod outbox;
pub mod records;
pub mod search;
pub mod vault;

pub use error::{Error, ErrorCode, Result};
pub use exchange::Agent;
pub use vault::{KdfParams, Passphrase, Vault};

//! `parley-agent`: the person's side of Parley, as a library.
//!
//! The desktop app, the `parley` CLI and the tests all call this same API: open a
//! [`Vault`], then work with its records through accessors (`vault.products()`,
//! `vault.vendors()`, `vault.intents()`, `vault.feedback()`, `vault.support()`,
//! `vault.consents()`), search, read and verify the audit log, and export or import an
//! encrypted backup. Dealing with vendors: [`discovery`] (add a vendor from its URL,
//! pin its key), [`sharing`] (consent, preview, send), [`outbox`] and [`inbox`] (what
//! left and what came back), [`sync`] (delivery and inbox pulls over [`transport`]).
//! Nothing here prints or prompts; that is the callers' job.
#![forbid(unsafe_code)]

pub mod audit;
pub mod backup;
pub mod discovery;
pub mod error;
pub mod identity;
pub mod inbox;
pub mod outbox;
pub mod records;
pub mod search;
pub mod sharing;
pub mod sync;
pub mod transport;
pub mod vault;

pub use error::{Error, Result};
pub use vault::{KdfParams, Passphrase, Vault};

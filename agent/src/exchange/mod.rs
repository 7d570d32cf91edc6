//! Dealing with vendors over HTTP: the half of the agent that talks to vendors' endpoints.
//!
//! [`Agent`] holds an open [`Vault`] (storage) and a [`transport`] (HTTP). A feedback's
//! way from a front end to the vendor reads top to bottom, one module per step:
//!
//! 1. [`send`] — `Agent::send_feedback`: the entry point, one per kind of message.
//! 2. [`contact`] — the vendor's pinned key and the person's pairwise key for it, made
//!    once for the whole exchange.
//! 3. [`compose`] — the body, with only the fields the covering consent allows, signed.
//! 4. [`crate::outbox`] — queued in the transaction that moves the record on.
//! 5. [`delivery`] — the descriptor checked against the pinned key, the POST, the
//!    receipt verified, and the vendor's answer applied only if [`answers`] finds it
//!    fits the question.
//!
//! [`pull`] brings offers and replies back (`InboxQuery`); [`access`] fetches and checks
//! the vendor's staff-access log (`AccessLogQuery`); [`discovery`] finds vendors
//! and decides about their keys. Storage stays with the vault: every SQL statement is in
//! the module of its table.

pub mod access;
pub mod answers;
pub mod compose;
pub mod contact;
pub mod delivery;
pub mod discovery;
pub mod orders;
pub mod pull;
pub mod send;
pub mod transport;

pub use delivery::{SyncOptions, SyncProblem, SyncReport};
pub use send::{Preview, Sent};

use crate::error::Result;
use crate::vault::Vault;
use transport::Transport;

/// The person's agent: their vault, and the means to reach vendors.
#[derive(Debug)]
pub struct Agent {
    vault: Vault,
    transport: Transport,
}

impl Agent {
    /// An agent over an open vault.
    pub fn new(vault: Vault) -> Result<Self> {
        Ok(Self { vault, transport: Transport::new()? })
    }

    /// The vault: the person's records, read and written directly.
    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Closes the vault (see [`Vault::close`]).
    pub async fn close(self) {
        self.vault.close().await;
    }
}

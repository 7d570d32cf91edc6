//! The staff-access log a person can read: every time someone at the vendor — a member
//! of staff, an API token, a webhook — reads one of the person's messages, the vendor
//! appends an [`AccessEntry`] to that person's chain. The person asks with a signed
//! `AccessLogQuery` and gets a signed `AccessLog`: the entries after the last one they
//! hold, and the chain's head.
//!
//! One chain per pairwise DID, so the person can check every link of theirs without
//! seeing anyone else's: each entry names the hash of the one before it, and its own
//! hash covers everything it says. An entry edited afterwards no longer matches its
//! hash; one rewritten with a new hash breaks the next entry's link, or differs from
//! the copy the person's agent already holds.

use serde::{Deserialize, Serialize};

use crate::body::{is_digest, text, Invalid, MAX_SHORT};
use crate::ids::{MessageId, Timestamp};
use crate::jcs;
use crate::verify::digest_of;

/// Most entries in one `AccessLog`; the agent asks again from the last one for more.
pub const MAX_ACCESS_ENTRIES: usize = 500;

/// `AccessLogQuery`: "who at your side read what I sent?"
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessLogQuery {
    /// Only entries after this one (the last the asker holds); the whole chain when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<u64>,
}

/// `AccessLog`: the vendor's answer to an `AccessLogQuery`, in reply to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessLog {
    /// The asker's entries after the query's `after`, oldest first, at most
    /// [`MAX_ACCESS_ENTRIES`].
    pub entries: Vec<AccessEntry>,
    /// The last entry of the asker's chain as it stands; absent while it is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head: Option<ChainHead>,
}

/// The last link of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// Its position.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
}

/// How a message was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum AccessVia {
    /// A member of staff opened it in the vendor's console.
    Console,
    /// A program read it through the console's API with a token.
    Api,
    /// It was delivered to one of the vendor's webhook endpoints.
    Webhook,
    /// The vendor's operator listed it with the command-line tool.
    Cli,
}

impl AccessVia {
    /// Its wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Console => "console",
            Self::Api => "api",
            Self::Webhook => "webhook",
            Self::Cli => "cli",
        }
    }
}

/// One read of one of the person's messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessEntry {
    /// Its position in the person's chain, from 1.
    pub seq: u64,
    /// When the message was read.
    pub at: Timestamp,
    /// The message read.
    pub message: MessageId,
    /// Who read it: a stable pseudonym (`staff 3`, `token 2`, `webhook 1`, `operator`),
    /// never a name or an email.
    pub reader: String,
    /// The reader's role: `admin`, `agent`, `viewer`, `operator` or `integration`.
    pub role: String,
    /// How.
    pub via: AccessVia,
    /// The name the vendor gave the token or webhook endpoint, when one read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The previous entry's hash; absent for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// `sha256:` and the hex SHA-256 of the entry's canonical form without `hash`.
    pub hash: String,
}

impl AccessEntry {
    /// The hash this entry's content calls for: SHA-256 over the RFC 8785 form of every
    /// member but `hash`.
    pub fn content_hash(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.remove("hash");
        }
        digest_of(jcs::canonicalize(&value).as_bytes())
    }

    /// Sets `hash` from the content.
    pub fn sealed(mut self) -> Self {
        self.hash = self.content_hash();
        self
    }

    pub(crate) fn validate(&self, field: &str) -> Result<(), Invalid> {
        if self.seq == 0 {
            return Err(Invalid::new(format!("{field}.seq"), "entries count from 1"));
        }
        text(&format!("{field}.reader"), &self.reader, MAX_SHORT, true)?;
        text(&format!("{field}.role"), &self.role, MAX_SHORT, true)?;
        if let Some(channel) = &self.channel {
            text(&format!("{field}.channel"), channel, MAX_SHORT, true)?;
        }
        for (name, hash) in [("hash", Some(&self.hash)), ("prev", self.prev.as_ref())] {
            if let Some(hash) = hash {
                if !is_digest(hash) {
                    return Err(Invalid::new(
                        format!("{field}.{name}"),
                        "must be sha256: and 64 lowercase hex digits",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl AccessLog {
    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        if self.entries.len() > MAX_ACCESS_ENTRIES {
            return Err(Invalid::new("body.entries", format!("at most {MAX_ACCESS_ENTRIES} entries")));
        }
        for (i, e) in self.entries.iter().enumerate() {
            e.validate(&format!("body.entries[{i}]"))?;
        }
        match (&self.head, self.entries.last()) {
            (None, Some(_)) => Err(Invalid::new("body.head", "entries need the chain's head")),
            (Some(head), Some(last)) if head.seq < last.seq => {
                Err(Invalid::new("body.head", "the head is behind the entries"))
            }
            (Some(head), _) if !is_digest(&head.hash) || head.seq == 0 => {
                Err(Invalid::new("body.head", "must name an entry (seq from 1) and its sha256: hash"))
            }
            _ => Ok(()),
        }
    }
}

/// Where a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// An entry's content does not match its hash: it was changed after it was made.
    #[error("entry {seq} does not match its hash: it was changed after it was written")]
    Altered {
        /// The entry.
        seq: u64,
    },
    /// An entry does not follow the one before it.
    #[error("entry {seq} does not follow entry {}: the chain was rewritten or cut", seq - 1)]
    Broken {
        /// The entry.
        seq: u64,
    },
    /// Entries are missing or out of order.
    #[error("entry {found} came where entry {expected} should be")]
    OutOfOrder {
        /// The position expected.
        expected: u64,
        /// The position found.
        found: u64,
    },
    /// The chain is shorter than what the asker already holds.
    #[error(
        "the chain now ends at entry {head}, but entry {held} was received before: entries were removed"
    )]
    Shortened {
        /// The last entry held.
        held: u64,
        /// The head's position.
        head: u64,
    },
    /// The head does not name the last entry given.
    #[error("the chain's head (entry {seq}) does not match its last entry")]
    Head {
        /// The head's position.
        seq: u64,
    },
}

/// Checks `entries` as the continuation of a chain whose last known link is `after`
/// (position and hash; `None` for a chain read from its start), ending at `head` when
/// the entries reach it.
pub fn verify_chain(
    entries: &[AccessEntry],
    after: Option<(u64, &str)>,
    head: Option<&ChainHead>,
) -> Result<(), ChainError> {
    let (mut expected, mut prev) = match after {
        Some((seq, hash)) => (seq + 1, Some(hash.to_owned())),
        None => (1, None),
    };
    for e in entries {
        if e.seq != expected {
            return Err(ChainError::OutOfOrder { expected, found: e.seq });
        }
        if e.content_hash() != e.hash {
            return Err(ChainError::Altered { seq: e.seq });
        }
        if e.prev != prev {
            return Err(ChainError::Broken { seq: e.seq });
        }
        prev = Some(e.hash.clone());
        expected += 1;
    }
    if let (Some(head), Some(last)) = (head, entries.last()) {
        if head.seq == last.seq && head.hash != last.hash {
            return Err(ChainError::Head { seq: head.seq });
        }
    }
    // A chain that is now empty, though the asker holds entries of it, was cut too.
    if let (None, None, Some((seq, _))) = (head, entries.last(), after) {
        return Err(ChainError::Shortened { held: seq, head: 0 });
    }
    if let (Some(head), None, Some((seq, hash))) = (head, entries.last(), after) {
        if head.seq == seq && head.hash != hash {
            return Err(ChainError::Head { seq });
        }
        if head.seq < seq {
            return Err(ChainError::Shortened { held: seq, head: head.seq });
        }
    }
    Ok(())
}

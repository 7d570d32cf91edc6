//! The optional JSON-LD `@context` of a message.
//!
//! Parley reads messages as plain JSON and never expands them as JSON-LD; it leaves
//! `@context` out of what it signs. But the most used Data Integrity libraries add one
//! when they sign (Digital Bazaar's `jsonld-signatures` adds the Data Integrity v2
//! context to a document without one), so a message may carry it: covered by the proof
//! like every other member, and kept, as signed, in the message. Only URL strings are
//! accepted — an inline context object does not survive a JSON round trip in those
//! libraries' verifiers — and the first must be the Data Integrity v2 or the
//! Verifiable Credentials v2 context, as those libraries write it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::body::Invalid;

/// The W3C Data Integrity v2 context.
pub const DATA_INTEGRITY_V2: &str = "https://w3id.org/security/data-integrity/v2";
/// The W3C Verifiable Credentials v2 context, which includes Data Integrity's terms.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// Most context entries accepted.
const MAX_ENTRIES: usize = 8;

/// A message's `@context`: one URL, or a list of URLs, in the form it was signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Context {
    /// `"@context": "https://…"`.
    One(String),
    /// `"@context": ["https://…", …]`.
    Many(Vec<String>),
}

impl Context {
    /// The Data Integrity v2 context alone, as `jsonld-signatures` adds it.
    pub fn data_integrity() -> Self {
        Self::Many(vec![DATA_INTEGRITY_V2.to_owned()])
    }

    /// The context URLs, in order.
    pub fn entries(&self) -> &[String] {
        match self {
            Self::One(url) => std::slice::from_ref(url),
            Self::Many(urls) => urls,
        }
    }

    /// Reads a context from its JSON form, with the rules above.
    pub(crate) fn from_value(value: Value) -> Result<Self, Invalid> {
        let invalid = |reason: String| Invalid::new("@context", reason);
        let context = match value {
            Value::String(url) => Self::One(url),
            Value::Array(items) => Self::Many(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| match item {
                        Value::String(url) => Ok(url),
                        _ => Err(invalid(format!(
                            "entry {i} is not a URL string (inline contexts are not accepted)"
                        ))),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(invalid("must be a URL or a list of URLs".into())),
        };
        context.validate()?;
        Ok(context)
    }

    pub(crate) fn validate(&self) -> Result<(), Invalid> {
        let entries = self.entries();
        let first = entries.first().map(String::as_str).unwrap_or_default();
        if first != DATA_INTEGRITY_V2 && first != CREDENTIALS_V2 {
            let reason =
                format!("starts with {first:?}; it must start with {DATA_INTEGRITY_V2} or {CREDENTIALS_V2}");
            return Err(Invalid::new("@context", reason));
        }
        if entries.len() > MAX_ENTRIES {
            let reason = format!("has {} entries, at most {MAX_ENTRIES}", entries.len());
            return Err(Invalid::new("@context", reason));
        }
        match entries.iter().find(|u| !u.starts_with("https://") || u.len() > 2000) {
            Some(bad) => Err(Invalid::new(
                "@context",
                format!("{bad:?} is not an https URL of at most 2000 characters"),
            )),
            None => Ok(()),
        }
    }
}

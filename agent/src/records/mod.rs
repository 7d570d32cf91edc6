//! The person's records, one module per kind: what they own ([`products`]), who they
//! deal with ([`vendors`]), what they want ([`intents`]), what they think
//! ([`feedback`]), what they need help with ([`support`]), and what they agreed to
//! share ([`consents`]).
//!
//! Each module is a small store over the vault's pool: `add`, `list`, `get`, `update`,
//! `delete`, with validation that names the offending field. Shared here: ids,
//! timestamps, value checks, and resolving an id from a unique prefix so people can type
//! `3f2a` rather than a whole UUID.

pub mod consents;
pub mod feedback;
pub mod intents;
pub mod products;
pub mod support;
pub mod vendors;

use serde::{Deserialize, Serialize};
use sqlx::SqlitePool;

use crate::error::{Error, Result};

/// The current time as stored: RFC 3339, UTC, whole seconds.
pub(crate) fn now() -> String {
    parley_protocol::Timestamp::now().to_string()
}

/// A new record id.
pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// Longest short text field (names, models, serials, subjects).
pub const MAX_SHORT: usize = 200;
/// Longest free text field (notes, feedback text, constraints).
pub const MAX_TEXT: usize = 8_000;

pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    let n = value.chars().count();
    if n > max {
        return Err(Error::invalid(field, format!("is {n} characters long, at most {max} allowed")));
    }
    Ok(())
}

pub(crate) fn check_opt_text(field: &str, value: &Option<String>, max: usize) -> Result<()> {
    value.as_deref().map_or(Ok(()), |v| check_text(field, v, max))
}

pub(crate) fn check_date(field: &str, value: Option<&str>) -> Result<()> {
    if let Some(v) = value {
        parley_protocol::validate_date(field, v).map_err(|e| Error::invalid(field, e.reason))?;
    }
    Ok(())
}

pub(crate) fn check_money(field: &str, money: &Option<Money>) -> Result<()> {
    if let Some(m) = money {
        let wire = parley_protocol::Money { amount: m.amount.clone(), currency: m.currency.clone() };
        wire.validate(field).map_err(|e| Error::invalid(e.field, e.reason))?;
    }
    Ok(())
}

pub(crate) fn check_list(field: &str, items: &[String]) -> Result<()> {
    if items.len() > parley_protocol::MAX_ITEMS {
        return Err(Error::invalid(field, format!("at most {} items", parley_protocol::MAX_ITEMS)));
    }
    items.iter().try_for_each(|i| check_text(field, i, MAX_TEXT))
}

/// An amount and its currency, as the person typed them (validated, never a float).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Money {
    /// Decimal amount, e.g. `299.00`.
    pub amount: String,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
}

impl Money {
    pub(crate) fn from_columns(amount: Option<String>, currency: Option<String>) -> Option<Self> {
        Some(Self { amount: amount?, currency: currency? })
    }
}

/// Normalises an edit to an optional field: `Some("")` clears it.
pub(crate) fn edit(current: Option<String>, change: Option<String>) -> Option<String> {
    match change {
        None => current,
        Some(v) if v.is_empty() => None,
        Some(v) => Some(v),
    }
}

/// Resolves a full id or a unique prefix of at least 4 characters in `table`.
pub(crate) async fn resolve_id(
    pool: &SqlitePool,
    table: &str,
    kind: &'static str,
    id: &str,
) -> Result<String> {
    let id = id.trim();
    if id.len() < 4 || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(Error::NotFound { kind, id: id.to_owned() });
    }
    // `table` is one of this crate's constants, never user input. Ids are lowercase hex
    // and hyphens, so every id starting with the prefix sorts between the prefix and
    // `prefix || 'z'`: a range the primary-key index answers without a scan.
    let rows: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT id FROM {table} WHERE id >= ?1 AND id < ?1 || 'z' ORDER BY id LIMIT 2"
    ))
    .bind(id.to_ascii_lowercase())
    .fetch_all(pool)
    .await?;
    match rows.as_slice() {
        [(one,)] => Ok(one.clone()),
        [] => Err(Error::NotFound { kind, id: id.to_owned() }),
        _ => Err(Error::Conflict(format!("{id} matches more than one {kind}: type more of the id"))),
    }
}

/// Turns a foreign-key refusal into a message about what still uses the record.
pub(crate) fn in_use(e: sqlx::Error, what: &str) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.message().contains("FOREIGN KEY") => Error::Conflict(format!(
            "{what} is still referred to by other records (feedback, support requests or consents): delete those first"
        )),
        _ => Error::Database(e),
    }
}

/// A page of a list: at most `limit` records, starting after the record whose id is
/// `after` (the last one of the previous page). A cursor rather than an offset, so a
/// page deep in a long list costs the same as the first.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// At most this many; 0 means all.
    pub limit: u32,
    /// The id of the last record of the previous page.
    pub after: Option<String>,
}

impl Page {
    /// The first `limit` records.
    pub fn first(limit: u32) -> Self {
        Self { limit, after: None }
    }

    /// The `limit` records after the record with id `after`.
    pub fn after(limit: u32, after: impl Into<String>) -> Self {
        Self { limit, after: Some(after.into()) }
    }

    pub(crate) fn sql_limit(&self) -> i64 {
        if self.limit == 0 {
            -1
        } else {
            self.limit as i64
        }
    }
}

/// Declares a record state: a lowercase string enum with `as_str`, `FromStr` (whose
/// error lists the valid values) and serde.
macro_rules! state_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// The stored and displayed form.
            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::error::Error;
            fn from_str(s: &str) -> crate::error::Result<Self> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(crate::error::Error::invalid(
                        "state",
                        format!("{s:?} is not one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use state_enum;

/// Reads a stored state; a value no version of Parley writes means a damaged row.
pub(crate) fn stored_state<T: std::str::FromStr + Default>(s: String) -> T {
    s.parse().unwrap_or_default()
}

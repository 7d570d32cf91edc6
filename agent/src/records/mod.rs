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

use sqlx::SqlitePool;

use crate::error::{Error, Result};

pub(crate) use crate::clock::now;
/// The longest texts a record holds: the same limits as the messages they become.
pub use parley_protocol::{MAX_SHORT, MAX_TEXT};

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
        m.validate(field).map_err(|e| Error::invalid(e.field, e.reason))?;
    }
    Ok(())
}

pub(crate) fn check_list(field: &str, items: &[String]) -> Result<()> {
    if items.len() > parley_protocol::MAX_ITEMS {
        return Err(Error::invalid(field, format!("at most {} items", parley_protocol::MAX_ITEMS)));
    }
    items.iter().try_for_each(|i| check_text(field, i, MAX_TEXT))
}

/// An amount and its currency (a decimal string, never a float): the protocol's, so a
/// price the person typed is checked once by the rule a message is checked by.
pub use parley_protocol::Money;

/// A price kept in two columns.
pub(crate) fn money_from_columns(amount: Option<String>, currency: Option<String>) -> Option<Money> {
    Some(Money { amount: amount?, currency: currency? })
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
pub(crate) async fn resolve_id<T: From<Resolved>>(
    pool: &SqlitePool,
    table: &str,
    kind: &'static str,
    id: &str,
) -> Result<T> {
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
        [(one,)] => Ok(T::from(Resolved(one.clone()))),
        [] => Err(Error::NotFound { kind, id: id.to_owned() }),
        _ => Err(Error::Conflict(format!("{id} matches more than one {kind}: type more of the id"))),
    }
}

/// An id found in a table by [`resolve_id`]: only that table's id type is made from it.
pub(crate) struct Resolved(String);

macro_rules! resolved_as {
    ($($id:ident),*) => {$(
        impl From<Resolved> for crate::ids::$id {
            fn from(r: Resolved) -> Self {
                Self::stored(r.0)
            }
        }
    )*};
}
resolved_as!(
    ProductId,
    AttachmentId,
    VendorId,
    IntentId,
    FeedbackId,
    SupportId,
    ConsentRecordId,
    MessageUuid
);

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
    pub fn after(limit: u32, after: impl AsRef<str>) -> Self {
        Self { limit, after: Some(after.as_ref().to_owned()) }
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
                f.pad(self.as_str())
            }
        }
    };
}
pub(crate) use state_enum;

/// Reads a stored value (a state, an agreement, a purpose). One no version of Parley
/// writes means a damaged row: that is an error, never a default — a damaged *sent*
/// read as the default *draft* would make a sent feedback sendable again.
pub(crate) fn stored<T: std::str::FromStr>(table: &str, column: &str, value: impl AsRef<str>) -> Result<T> {
    let value = value.as_ref();
    value.parse().map_err(|_| Error::Damaged {
        table: table.to_owned(),
        column: column.to_owned(),
        value: value.to_owned(),
    })
}

/// Moves one record of `table` from one of the states `from` to `to`, in the caller's
/// transaction. Checked where it is made: of two moves at once (two windows, a double
/// click) only the first finds the record still in `from`; the other is refused.
pub(crate) async fn move_state_in(
    conn: &mut sqlx::SqliteConnection,
    table: &'static str,
    id: &str,
    from: &[&str],
    to: &str,
) -> Result<()> {
    let sql = format!(
        "UPDATE {table} SET state = ?, updated = ? WHERE id = ? AND state IN ({})",
        vec!["?"; from.len()].join(", ")
    );
    let mut query = sqlx::query(&sql).bind(to).bind(now()).bind(id);
    for state in from {
        query = query.bind(*state);
    }
    if query.execute(&mut *conn).await?.rows_affected() != 1 {
        return Err(Error::Conflict(format!(
            "{id} is no longer {}: it was changed or sent meanwhile",
            from.join(" or ")
        )));
    }
    Ok(())
}

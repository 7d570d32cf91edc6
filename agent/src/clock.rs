//! The agent's clock, in the forms the vault stores: the time (RFC 3339, UTC, whole
//! seconds) and today's date (`YYYY-MM-DD`, UTC). Every "now" and "today" comes from
//! here, so dates compare with times and with each other as text.

use parley_protocol::Timestamp;

/// The current time as stored.
pub fn now() -> String {
    Timestamp::now().to_string()
}

/// Today's date (UTC), as dates are stored and compared.
pub fn today() -> String {
    Timestamp::now().date()
}

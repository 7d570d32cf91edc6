//! Identifier and time newtypes shared by every message: [`MessageId`], [`ConsentId`]
//! (both `urn:uuid:` URNs on the wire) and [`Timestamp`] (RFC 3339).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

/// Why an identifier or time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IdError(String);

macro_rules! urn_uuid {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            /// A new identifier: a version 7 UUID, its first 48 bits the time in
            /// milliseconds and the rest random. Time-ordered so that whoever keys
            /// records by it (a vendor's store) adds to the end of its index rather
            /// than to a random page of it; the time it carries is no more than the
            /// message's own `created` already says.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// The UUID inside.
            pub fn uuid(&self) -> Uuid {
                self.0
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let rest = s
                    .strip_prefix("urn:uuid:")
                    .ok_or_else(|| IdError(format!("{s:?} is not a urn:uuid: identifier")))?;
                // Only the lowercase hyphenated form, so one identifier has one spelling.
                let uuid = Uuid::try_parse(rest)
                    .ok()
                    .filter(|u| u.hyphenated().to_string() == rest)
                    .ok_or_else(|| IdError(format!("{s:?} does not hold a lowercase hyphenated UUID")))?;
                Ok(Self(uuid))
            }
        }
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                s.parse()
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "urn:uuid:{}", self.0.hyphenated())
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }
    };
}

urn_uuid!(
    /// The `id` of a message, unique per sender; vendors accept each id once.
    MessageId
);
urn_uuid!(
    /// A consent: the `id` of the `ConsentGrant` message that proffered it.
    ConsentId
);

impl From<MessageId> for ConsentId {
    fn from(id: MessageId) -> Self {
        Self(id.0)
    }
}

/// A point in time, written as RFC 3339 in UTC with whole seconds.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The current time, truncated to whole seconds.
    pub fn now() -> Self {
        Self::from(OffsetDateTime::now_utc())
    }
    /// The time inside.
    pub fn get(&self) -> OffsetDateTime {
        self.0
    }

    /// Its UTC calendar date, `YYYY-MM-DD`: the form dates take in bodies, and how they
    /// compare (as text) with one.
    pub fn date(&self) -> String {
        self.0.to_offset(time::UtcOffset::UTC).date().to_string()
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Self {
        let utc = t.to_offset(time::UtcOffset::UTC);
        Self(utc.replace_nanosecond(0).unwrap_or(utc))
    }
}

impl FromStr for Timestamp {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        OffsetDateTime::parse(s, &Rfc3339)
            .map(|t| Self(t.to_offset(time::UtcOffset::UTC)))
            .map_err(|_| IdError(format!("{s:?} is not an RFC 3339 date-time")))
    }
}

impl TryFrom<String> for Timestamp {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        s.parse()
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::proof::format_datetime(self.0))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_urn_uuids() {
        let id = MessageId::new();
        assert_eq!(id.to_string().parse::<MessageId>().unwrap(), id);
        assert!("58172aac-d8ba-11ed-83dd-0b3aef56cc33".parse::<MessageId>().is_err());
        assert!("urn:uuid:58172AAC-D8BA-11ED-83DD-0B3AEF56CC33".parse::<MessageId>().is_err());
        assert!("urn:uuid:not-a-uuid".parse::<MessageId>().is_err());
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let t: Timestamp = "2026-11-22T10:00:00+01:00".parse().unwrap();
        assert_eq!(t.to_string(), "2026-11-22T09:00:00Z");
        assert!("2026-11-22".parse::<Timestamp>().is_err());
        assert!("2026-13-01T00:00:00Z".parse::<Timestamp>().is_err());
    }
}

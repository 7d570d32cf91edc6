//! What the store keeps of the receipt accepting a message: its id and time, not its
//! bytes.
//!
//! Everything else in the receipt follows from the message it answers and the vendor's
//! key, and Ed25519 signatures are deterministic (RFC 8032): signing the same receipt
//! again gives the same bytes. So when a message is delivered again — to any instance,
//! or after its content was deleted — the receipt is rebuilt from the redelivered
//! message (the same content: the digests are compared first) and signed again, byte for
//! byte the original. Keeping ~70 bytes instead of ~1 KB roughly halves a stored
//! message, so two or three fit in a 4 KiB database page instead of one, and receiving
//! writes that much less.
//!
//! Grants and revocations keep their whole answer: a revocation's deletion receipt lists
//! what was deleted, which no redelivery can tell. A vendor that replaces its key
//! answers a redelivery with a receipt under the new key: as valid, not the same bytes.

use parley_protocol::{MessageId, Timestamp};

/// Marks a kept receipt in the `response` column; a whole response is a JSON object.
const TAG: &str = "receipt ";

/// A receipt's id and creation time: all of it that the message it answers does not fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeptReceipt {
    /// The receipt's id.
    pub id: MessageId,
    /// When it was made (its proof's `created` too).
    pub created: Timestamp,
}

impl KeptReceipt {
    /// What the `response` column holds.
    pub fn to_column(self) -> String {
        format!("{TAG}{} {}", self.id, self.created)
    }

    /// Reads a `response` column; `None` when it holds a whole response.
    pub fn from_column(column: &str) -> Option<Self> {
        let (id, created) = column.strip_prefix(TAG)?.split_once(' ')?;
        Some(Self { id: id.parse().ok()?, created: created.parse().ok()? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_receipt_reads_back_and_a_whole_response_is_not_one() {
        let kept = KeptReceipt { id: MessageId::new(), created: Timestamp::now() };
        assert_eq!(KeptReceipt::from_column(&kept.to_column()), Some(kept));
        assert_eq!(KeptReceipt::from_column(r#"{"receipt":{"id":"x"}}"#), None);
        assert_eq!(KeptReceipt::from_column("receipt not-an-id 2026-12-04T00:00:00Z"), None);
    }
}

//! Arguments of the commands that take more than one value, as the UI sends them.

use parley_agent::exchange::Sent;
use parley_agent::records::consents::Consent;
use parley_agent::records::consents::ConsentFields;
use parley_agent::records::feedback::FeedbackFields;
use parley_agent::records::intents::IntentFields;
use parley_agent::records::products::{Attachment, Product, ProductFields, Warranty};
use parley_agent::records::support::SupportFields;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Whether there is a vault, and whether it is open.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VaultStatus {
    /// A vault exists in the folder.
    pub exists: bool,
    /// It is open.
    pub unlocked: bool,
    /// The vault folder.
    pub dir: String,
}

/// Changing the passphrase.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PassphraseChange {
    pub current: String,
    pub next: String,
}

impl std::fmt::Debug for PassphraseChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PassphraseChange(redacted)")
    }
}

/// Writing or reading a backup file: the file is the one the person chose in the file
/// dialog (held in Rust), never a path from the page — a `path` here is refused.
#[derive(Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupFile {
    /// The passphrase that seals (export) or opens (import) it.
    pub passphrase: String,
    /// Import only: replace an existing vault.
    #[serde(default)]
    pub force: bool,
}

/// Which products to list.
#[derive(Debug, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct ProductQuery {
    /// Words to search for (all must match); absent: every product, newest first.
    pub search: Option<String>,
    /// At most this many (0: all).
    pub limit: u32,
    /// The id of the last product of the previous page.
    pub after: Option<String>,
}

/// A product with its warranty as of today.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductRow {
    pub product: Product,
    pub warranty: Warranty,
}

/// A product with its warranty and attached files.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductDetail {
    pub product: Product,
    pub warranty: Warranty,
    pub attachments: Vec<Attachment>,
}

/// Changing a record: its id and the fields to set.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductUpdate {
    pub id: String,
    pub fields: ProductFields,
}

/// Changing an intent.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IntentUpdate {
    pub id: String,
    pub fields: IntentFields,
}

/// Changing a draft feedback.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackUpdate {
    pub id: String,
    pub fields: FeedbackFields,
}

/// Changing a support request (e.g. closing it).
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SupportUpdate {
    pub id: String,
    pub fields: SupportFields,
}

/// A file to attach, as the UI read it.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewAttachment {
    pub product_id: String,
    pub name: String,
    pub media_type: String,
    /// The content, base64.
    pub base64: String,
}

/// An attached file's content, for the UI to show or save.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttachmentContent {
    pub attachment: Attachment,
    /// The content, base64.
    pub base64: String,
}

/// Adding a vendor by URL.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewVendor {
    pub url: String,
    /// A name of your own; the descriptor's when absent.
    pub name: Option<String>,
}

/// Accepting a vendor's new key: the one whose fingerprint the person was shown.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TrustKey {
    pub id: String,
    /// The fingerprint shown; refused if the vendor presented another key meanwhile.
    pub fingerprint: String,
}

/// Sending (or previewing) one record.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SendRecord {
    pub id: String,
    /// The vendor, when the record does not say.
    pub vendor: Option<String>,
}

/// Casting an intent to vendors.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IntentCast {
    pub id: String,
    pub vendors: Vec<String>,
}

/// Revoking a consent.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Revocation {
    pub id: String,
    pub reason: Option<String>,
}

/// A consent after an exchange with its vendor, and how delivery went.
#[derive(Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentOutcome {
    pub consent: Consent,
    pub sent: Sent,
}

/// Writing a consent to proffer.
pub type NewConsent = ConsentFields;

impl std::fmt::Debug for BackupFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupFile").field("force", &self.force).finish_non_exhaustive()
    }
}

/// What a file picker is for: where to write a backup, or which backup to restore.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum BackupPick {
    /// A new file to export to.
    Export,
    /// An existing backup to import.
    Import,
}

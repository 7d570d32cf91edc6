//! Every command the UI can call: each a few lines that call `parley-agent`. Anything
//! the app can do, the CLI and the tests can do through the same library.

pub mod args;

use base64::Engine as _;
use parley_agent::access::VendorReads;
use parley_agent::audit::{AuditEntry, AuditReport};
use parley_agent::exchange::{Preview, Sent, SyncReport};
use parley_agent::ids::MessageUuid;
use parley_agent::inbox::InboxMessage;
use parley_agent::outbox::{OutboxFilter, OutboxItem, SharedWithVendor};
use parley_agent::records::consents::{Consent, ConsentFields};
use parley_agent::records::feedback::{Feedback, FeedbackFields};
use parley_agent::records::intents::{Intent, IntentFields};
use parley_agent::records::products::{Attachment, Product, ProductFields};
use parley_agent::records::support::{SupportFields, SupportRequest};
use parley_agent::records::vendors::Vendor;
use parley_agent::records::Page;
use parley_agent::search::SearchHit;
use parley_agent::{Passphrase, Vault};

use self::args::*;
use crate::contract::commands;
use crate::error::CommandError;
use crate::state::{AppState, Settings, SyncStatus};

fn status(s: &AppState) -> VaultStatus {
    VaultStatus {
        exists: Vault::exists(&s.vault_dir),
        unlocked: s.is_unlocked(),
        dir: s.vault_dir.display().to_string(),
    }
}

fn bytes(base64: &str) -> Result<Vec<u8>, CommandError> {
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .map_err(|e| CommandError::other(format!("the file's content is not base64: {e}")))
}

async fn pick_backup_file(s: &AppState, purpose: BackupPick) -> Result<Option<String>, CommandError> {
    use tauri_plugin_dialog::DialogExt;
    let app = s.app().ok_or_else(|| CommandError::other("the window is not ready yet"))?;
    let mut dialog = app.dialog().file().add_filter("Parley backup", &["pbk"]);
    // The home folder, not wherever the app happened to be started from.
    if let Some(home) = directories::UserDirs::new() {
        dialog = dialog.set_directory(home.home_dir());
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let answer = move |path: Option<tauri_plugin_dialog::FilePath>| {
        let _ = tx.send(path.and_then(|p| p.into_path().ok()));
    };
    match purpose {
        BackupPick::Export => {
            dialog.set_title("Save the backup as").set_file_name("parley-backup.pbk").save_file(answer)
        }
        BackupPick::Import => dialog.set_title("Choose the backup to restore").pick_file(answer),
    }
    // The dialog runs on the main thread; this command only waits for its answer.
    let chosen = rx.await.map_err(|_| CommandError::other("the file dialog closed without an answer"))?;
    Ok(chosen.map(|path| {
        let shown = path.display().to_string();
        s.picked.remember(purpose, path);
        shown
    }))
}

fn row(p: Product) -> ProductRow {
    ProductRow { warranty: p.warranty(&parley_agent::clock::today()), product: p }
}

/// Backup progress, sent to the UI as `backup-progress` events.
fn progress(s: &AppState) -> impl FnMut(u64, u64) + Send + '_ {
    move |done, total| s.emit("backup-progress", serde_json::json!({"done": done, "total": total}))
}

commands! {
    // ---- the vault ------------------------------------------------------------------

    /// Whether a vault exists and is open.
    vault_status(s) -> VaultStatus { status(&s) }

    /// Creates the vault; the passphrase goes straight to the key derivation.
    vault_create(s, passphrase: String) -> VaultStatus {
        let vault = Vault::create(&s.vault_dir, &Passphrase::new(passphrase)?, s.kdf).await?;
        s.unlock(vault).await?;
        status(&s)
    }

    /// Opens the vault.
    vault_unlock(s, passphrase: String) -> VaultStatus {
        let vault = Vault::open(&s.vault_dir, &Passphrase::new(passphrase)?).await?;
        s.unlock(vault).await?;
        status(&s)
    }

    /// Closes the vault now.
    vault_lock(s) -> VaultStatus {
        s.lock().await;
        status(&s)
    }

    /// Changes the passphrase (re-seals the key; the data is not re-encrypted).
    vault_change_passphrase(s, change: PassphraseChange) -> () {
        let (current, next) = (Passphrase::new(change.current)?, Passphrase::new(change.next)?);
        s.agent()?.vault().change_passphrase(&current, &next, s.kdf).await?
    }

    /// Writes an encrypted backup; `backup-progress` events report how far it got.
    vault_export(s, backup: BackupFile) -> () {
        let path = s.picked.take(BackupPick::Export)?;
        let mut report = progress(&s);
        s.agent()?.vault().export(&path, &Passphrase::new(backup.passphrase)?, s.kdf, &mut report).await?
    }

    /// Lets the person pick a backup file with the system's file dialog; `None` when
    /// they cancel. The dialog is opened from Rust, so the window holds no dialog or
    /// file-system permission of its own.
    backup_pick_file(s, purpose: BackupPick) -> Option<String> {
        pick_backup_file(&s, purpose).await?
    }

    /// Restores a backup as the vault (the app's vault folder), and opens it.
    vault_import(s, backup: BackupFile) -> VaultStatus {
        let path = s.picked.take(BackupPick::Import)?;
        s.lock().await;
        let pass = Passphrase::new(backup.passphrase)?;
        let mut report = progress(&s);
        let vault = parley_agent::backup::import(&s.vault_dir, &path, &pass, backup.force, &mut report).await?;
        s.unlock(vault).await?;
        status(&s)
    }

    /// The person's settings.
    settings_get(s) -> Settings { s.settings() }

    /// Changes the settings (auto-lock delay, sync interval).
    settings_set(s, settings: Settings) -> Settings {
        s.save_settings(settings)?;
        s.settings()
    }

    // ---- products -------------------------------------------------------------------

    /// Products, newest first, or those matching a search.
    product_list(s, query: ProductQuery) -> Vec<ProductRow> {
        let agent = s.agent()?;
        let vault = agent.vault();
        let products = match query.search.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            Some(words) => vault.search_products(words, query.limit).await?,
            None => vault.products().list(Page { limit: query.limit, after: query.after }).await?,
        };
        products.into_iter().map(row).collect::<Vec<_>>()
    }

    /// One product with its warranty and attached files.
    product_get(s, id: String) -> ProductDetail {
        let agent = s.agent()?;
        let vault = agent.vault();
        let product = vault.products().get(&id).await?;
        let attachments = vault.products().attachments(product.id.as_str()).await?;
        ProductDetail { warranty: product.warranty(&parley_agent::clock::today()), product, attachments }
    }

    /// Adds a product.
    product_add(s, fields: ProductFields) -> Product { s.agent()?.vault().products().add(fields).await? }

    /// The product's proof of purchase, in its RFC 8785 form (the bytes to save).
    product_proof(s, id: String) -> String { s.agent()?.vault().products().proof(&id).await? }

    /// Changes a product.
    product_update(s, update: ProductUpdate) -> Product {
        s.agent()?.vault().products().update(&update.id, update.fields).await?
    }

    /// Deletes a product and its attached files.
    product_delete(s, id: String) -> () { s.agent()?.vault().products().delete(&id).await?; }

    /// Stores a file (receipt, manual) with a product, inside the vault.
    attachment_add(s, file: NewAttachment) -> Attachment {
        let content = bytes(&file.base64)?;
        s.agent()?.vault().products().attach(&file.product_id, &file.name, &file.media_type, &content).await?
    }

    /// An attached file's content.
    attachment_content(s, id: String) -> AttachmentContent {
        let (attachment, content) = s.agent()?.vault().products().attachment_content(&id).await?;
        AttachmentContent { attachment, base64: base64::engine::general_purpose::STANDARD.encode(content) }
    }

    /// Removes an attached file.
    attachment_remove(s, id: String) -> () { s.agent()?.vault().products().detach(&id).await?; }

    // ---- vendors and consents -------------------------------------------------------

    /// Vendors, by name.
    vendor_list(s) -> Vec<Vendor> { s.agent()?.vault().vendors().list().await? }

    /// Adds a vendor from its URL: fetches its signed descriptor and pins its key.
    vendor_discover(s, vendor: NewVendor) -> Vendor {
        let name = vendor.name.filter(|n| !n.trim().is_empty());
        s.agent()?.discover_vendor(vendor.url.trim(), name).await?
    }

    /// The person's own pairwise DID with a vendor, once its key is known.
    vendor_my_did(s, id: String) -> Option<String> {
        s.agent()?.vault().my_did_with(&id).await?.map(|d| d.to_string())
    }

    /// Accepts the key a vendor now presents, then delivers what waited for it.
    vendor_trust(s, trust: TrustKey) -> Vendor {
        s.agent()?.trust_vendor_key(&trust.id, Some(&trust.fingerprint)).await?.0
    }

    /// Removes a vendor (refused while records refer to it).
    vendor_delete(s, id: String) -> () { s.agent()?.vault().vendors().delete(&id).await?; }

    /// Consents, newest first.
    consent_list(s) -> Vec<Consent> { s.agent()?.vault().consents().list(None).await? }

    /// Proffers a consent to a vendor and keeps its signed answer.
    consent_grant(s, fields: ConsentFields) -> ConsentOutcome {
        let (consent, sent) = s.agent()?.grant_consent(fields).await?;
        ConsentOutcome { consent, sent }
    }

    /// Takes the alternative agreement a vendor offered.
    consent_accept_alternative(s, id: String) -> ConsentOutcome {
        let (consent, sent) = s.agent()?.accept_alternative(&id).await?;
        ConsentOutcome { consent, sent }
    }

    /// Revokes a consent; the vendor deletes what it holds and signs a receipt.
    consent_revoke(s, revocation: Revocation) -> ConsentOutcome {
        let (consent, sent) = s.agent()?.revoke_consent(&revocation.id, revocation.reason).await?;
        ConsentOutcome { consent, sent }
    }

    /// Deletes a consent record that never was, or no longer is, in force.
    consent_delete(s, id: String) -> () { s.agent()?.vault().consents().delete(&id).await?; }

    // ---- intents --------------------------------------------------------------------

    /// Intents, newest first.
    intent_list(s) -> Vec<Intent> { s.agent()?.vault().intents().list().await? }

    /// Writes an intent.
    intent_add(s, fields: IntentFields) -> Intent { s.agent()?.vault().intents().add(fields).await? }

    /// Changes a draft intent.
    intent_update(s, update: IntentUpdate) -> Intent { s.agent()?.vault().intents().update(&update.id, update.fields).await? }

    /// Deletes an intent.
    intent_delete(s, id: String) -> () { s.agent()?.vault().intents().delete(&id).await?; }

    /// What each vendor would receive.
    intent_preview(s, cast: IntentCast) -> Vec<Preview> { s.agent()?.preview_intent(&cast.id, &cast.vendors).await? }

    /// Casts the intent to the vendors.
    intent_send(s, cast: IntentCast) -> Sent { s.agent()?.send_intent(&cast.id, &cast.vendors).await? }

    /// The offers gathered for an intent.
    intent_offers(s, id: String) -> Vec<InboxMessage> { s.agent()?.vault().offers(&id).await? }

    /// Accepts one offer (that vendor is told).
    offer_accept(s, id: String) -> Sent { s.agent()?.accept_offer(&id).await? }

    /// Withdraws an intent (every vendor that received it is told).
    intent_withdraw(s, id: String) -> Sent { s.agent()?.withdraw_intent(&id).await? }

    // ---- feedback and support -------------------------------------------------------

    /// Feedback, newest first.
    feedback_list(s) -> Vec<Feedback> { s.agent()?.vault().feedback().list().await? }

    /// Writes a feedback.
    feedback_add(s, fields: FeedbackFields) -> Feedback { s.agent()?.vault().feedback().add(fields).await? }

    /// Changes a draft feedback.
    feedback_update(s, update: FeedbackUpdate) -> Feedback {
        s.agent()?.vault().feedback().update(&update.id, update.fields).await?
    }

    /// Deletes a feedback.
    feedback_delete(s, id: String) -> () { s.agent()?.vault().feedback().delete(&id).await?; }

    /// What the vendor would receive.
    feedback_preview(s, send: SendRecord) -> Vec<Preview> {
        s.agent()?.preview_feedback(&send.id, send.vendor.as_deref()).await?
    }

    /// Sends a feedback.
    feedback_send(s, send: SendRecord) -> Sent { s.agent()?.send_feedback(&send.id, send.vendor.as_deref()).await? }

    /// Support requests, newest first.
    support_list(s) -> Vec<SupportRequest> { s.agent()?.vault().support().list().await? }

    /// Writes a support request.
    support_add(s, fields: SupportFields) -> SupportRequest { s.agent()?.vault().support().add(fields).await? }

    /// Changes a support request (e.g. closes it).
    support_update(s, update: SupportUpdate) -> SupportRequest {
        s.agent()?.vault().support().update(&update.id, update.fields).await?
    }

    /// Deletes a support request.
    support_delete(s, id: String) -> () { s.agent()?.vault().support().delete(&id).await?; }

    /// What the vendor would receive.
    support_preview(s, send: SendRecord) -> Vec<Preview> {
        s.agent()?.preview_support(&send.id, send.vendor.as_deref()).await?
    }

    /// Sends a support request.
    support_send(s, send: SendRecord) -> Sent { s.agent()?.send_support(&send.id, send.vendor.as_deref()).await? }

    // ---- what came back, what left --------------------------------------------------

    /// Offers and replies, by thread.
    inbox(s, vendor: Option<String>) -> Vec<InboxMessage> { s.agent()?.vault().inbox(vendor.as_deref()).await? }

    /// What vendors sent that the person has not seen yet, newest first.
    inbox_unread(s) -> Vec<InboxMessage> { s.agent()?.vault().unread().await? }

    /// Marks messages as seen.
    inbox_mark_read(s, ids: Vec<String>) -> () {
        let ids = ids.iter().map(|id| MessageUuid::parse(id)).collect::<Result<Vec<_>, _>>()?;
        s.agent()?.vault().mark_read(&ids).await?
    }

    /// Messages waiting to leave (all of them with `all`).
    outbox(s, all: bool) -> Vec<OutboxItem> {
        s.agent()?.vault().outbox(if all { OutboxFilter::All } else { OutboxFilter::Waiting }).await?
    }

    /// Delivers what waits (ignoring backoff) and pulls every inbox, now.
    sync_now(s) -> SyncReport { crate::background::sync(&s, true).await? }

    /// Where background delivery stands.
    sync_status(s) -> SyncStatus { s.sync_status() }

    /// The audit log, newest last; one vendor's entries when `vendor` is given.
    audit_log(s, vendor: Option<String>) -> Vec<AuditEntry> { s.agent()?.vault().audit_log(vendor.as_deref()).await? }

    /// Checks the audit log's hash chain.
    audit_verify(s) -> AuditReport { s.agent()?.vault().verify_audit_log().await? }

    /// Per vendor and consent, what left.
    shared(s, vendor: Option<String>) -> Vec<SharedWithVendor> { s.agent()?.vault().shared(vendor.as_deref()).await? }

    /// Per vendor, who there read the person's messages, and whether its log held.
    access_log(s, vendor: Option<String>) -> Vec<VendorReads> { s.agent()?.vault().access_log(vendor.as_deref()).await? }

    /// Full-text search across products, intents, feedback and support requests.
    search(s, text: String) -> Vec<SearchHit> { s.agent()?.vault().search(&text, 50).await? }
}

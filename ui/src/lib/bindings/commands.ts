// Generated from src-tauri's command list: do not edit. Regenerate with
// `PARLEY_UPDATE_BINDINGS=1 cargo test -p parley-desktop --lib bindings`.
import type { Attachment, AttachmentContent, AuditEntry, AuditReport, BackupFile, BackupPick, Consent, ConsentFields, ConsentOutcome, Feedback, FeedbackFields, FeedbackUpdate, InboxMessage, Intent, IntentCast, IntentFields, IntentUpdate, NewAttachment, NewVendor, OutboxItem, PassphraseChange, Preview, Product, ProductDetail, ProductFields, ProductQuery, ProductRow, ProductUpdate, Revocation, SearchHit, SendRecord, Sent, Settings, SharedWithVendor, SupportFields, SupportRequest, SupportUpdate, SyncReport, SyncStatus, TrustKey, VaultStatus, Vendor, VendorReads } from "./index";
import { call } from "../ipc";

/**
 * Whether a vault exists and is open.
 */
export function vaultStatus(): Promise<VaultStatus> {
  return call("vault_status", {});
}

/**
 * Creates the vault; the passphrase goes straight to the key derivation.
 */
export function vaultCreate(passphrase: string): Promise<VaultStatus> {
  return call("vault_create", { passphrase });
}

/**
 * Opens the vault.
 */
export function vaultUnlock(passphrase: string): Promise<VaultStatus> {
  return call("vault_unlock", { passphrase });
}

/**
 * Closes the vault now.
 */
export function vaultLock(): Promise<VaultStatus> {
  return call("vault_lock", {});
}

/**
 * Changes the passphrase (re-seals the key; the data is not re-encrypted).
 */
export function vaultChangePassphrase(change: PassphraseChange): Promise<null> {
  return call("vault_change_passphrase", { change });
}

/**
 * Writes an encrypted backup; `backup-progress` events report how far it got.
 */
export function vaultExport(backup: BackupFile): Promise<null> {
  return call("vault_export", { backup });
}

/**
 * Lets the person pick a backup file with the system's file dialog; `None` when
 * they cancel. The dialog is opened from Rust, so the window holds no dialog or
 * file-system permission of its own.
 */
export function backupPickFile(purpose: BackupPick): Promise<string | null> {
  return call("backup_pick_file", { purpose });
}

/**
 * Restores a backup as the vault (the app's vault folder), and opens it.
 */
export function vaultImport(backup: BackupFile): Promise<VaultStatus> {
  return call("vault_import", { backup });
}

/**
 * The person's settings.
 */
export function settingsGet(): Promise<Settings> {
  return call("settings_get", {});
}

/**
 * Changes the settings (auto-lock delay, sync interval).
 */
export function settingsSet(settings: Settings): Promise<Settings> {
  return call("settings_set", { settings });
}

/**
 * Products, newest first, or those matching a search.
 */
export function productList(query: ProductQuery): Promise<Array<ProductRow>> {
  return call("product_list", { query });
}

/**
 * One product with its warranty and attached files.
 */
export function productGet(id: string): Promise<ProductDetail> {
  return call("product_get", { id });
}

/**
 * Adds a product.
 */
export function productAdd(fields: ProductFields): Promise<Product> {
  return call("product_add", { fields });
}

/**
 * The product's proof of purchase, in its RFC 8785 form (the bytes to save).
 */
export function productProof(id: string): Promise<string> {
  return call("product_proof", { id });
}

/**
 * Changes a product.
 */
export function productUpdate(update: ProductUpdate): Promise<Product> {
  return call("product_update", { update });
}

/**
 * Deletes a product and its attached files.
 */
export function productDelete(id: string): Promise<null> {
  return call("product_delete", { id });
}

/**
 * Stores a file (receipt, manual) with a product, inside the vault.
 */
export function attachmentAdd(file: NewAttachment): Promise<Attachment> {
  return call("attachment_add", { file });
}

/**
 * An attached file's content.
 */
export function attachmentContent(id: string): Promise<AttachmentContent> {
  return call("attachment_content", { id });
}

/**
 * Removes an attached file.
 */
export function attachmentRemove(id: string): Promise<null> {
  return call("attachment_remove", { id });
}

/**
 * Vendors, by name.
 */
export function vendorList(): Promise<Array<Vendor>> {
  return call("vendor_list", {});
}

/**
 * Adds a vendor from its URL: fetches its signed descriptor and pins its key.
 */
export function vendorDiscover(vendor: NewVendor): Promise<Vendor> {
  return call("vendor_discover", { vendor });
}

/**
 * The person's own pairwise DID with a vendor, once its key is known.
 */
export function vendorMyDid(id: string): Promise<string | null> {
  return call("vendor_my_did", { id });
}

/**
 * Accepts the key a vendor now presents, then delivers what waited for it.
 */
export function vendorTrust(trust: TrustKey): Promise<Vendor> {
  return call("vendor_trust", { trust });
}

/**
 * Removes a vendor (refused while records refer to it).
 */
export function vendorDelete(id: string): Promise<null> {
  return call("vendor_delete", { id });
}

/**
 * Consents, newest first.
 */
export function consentList(): Promise<Array<Consent>> {
  return call("consent_list", {});
}

/**
 * Proffers a consent to a vendor and keeps its signed answer.
 */
export function consentGrant(fields: ConsentFields): Promise<ConsentOutcome> {
  return call("consent_grant", { fields });
}

/**
 * Takes the alternative agreement a vendor offered.
 */
export function consentAcceptAlternative(id: string): Promise<ConsentOutcome> {
  return call("consent_accept_alternative", { id });
}

/**
 * Revokes a consent; the vendor deletes what it holds and signs a receipt.
 */
export function consentRevoke(revocation: Revocation): Promise<ConsentOutcome> {
  return call("consent_revoke", { revocation });
}

/**
 * Deletes a consent record that never was, or no longer is, in force.
 */
export function consentDelete(id: string): Promise<null> {
  return call("consent_delete", { id });
}

/**
 * Intents, newest first.
 */
export function intentList(): Promise<Array<Intent>> {
  return call("intent_list", {});
}

/**
 * Writes an intent.
 */
export function intentAdd(fields: IntentFields): Promise<Intent> {
  return call("intent_add", { fields });
}

/**
 * Changes a draft intent.
 */
export function intentUpdate(update: IntentUpdate): Promise<Intent> {
  return call("intent_update", { update });
}

/**
 * Deletes an intent.
 */
export function intentDelete(id: string): Promise<null> {
  return call("intent_delete", { id });
}

/**
 * What each vendor would receive.
 */
export function intentPreview(cast: IntentCast): Promise<Array<Preview>> {
  return call("intent_preview", { cast });
}

/**
 * Casts the intent to the vendors.
 */
export function intentSend(cast: IntentCast): Promise<Sent> {
  return call("intent_send", { cast });
}

/**
 * The offers gathered for an intent.
 */
export function intentOffers(id: string): Promise<Array<InboxMessage>> {
  return call("intent_offers", { id });
}

/**
 * Accepts one offer (that vendor is told).
 */
export function offerAccept(id: string): Promise<Sent> {
  return call("offer_accept", { id });
}

/**
 * Withdraws an intent (every vendor that received it is told).
 */
export function intentWithdraw(id: string): Promise<Sent> {
  return call("intent_withdraw", { id });
}

/**
 * Feedback, newest first.
 */
export function feedbackList(): Promise<Array<Feedback>> {
  return call("feedback_list", {});
}

/**
 * Writes a feedback.
 */
export function feedbackAdd(fields: FeedbackFields): Promise<Feedback> {
  return call("feedback_add", { fields });
}

/**
 * Changes a draft feedback.
 */
export function feedbackUpdate(update: FeedbackUpdate): Promise<Feedback> {
  return call("feedback_update", { update });
}

/**
 * Deletes a feedback.
 */
export function feedbackDelete(id: string): Promise<null> {
  return call("feedback_delete", { id });
}

/**
 * What the vendor would receive.
 */
export function feedbackPreview(send: SendRecord): Promise<Array<Preview>> {
  return call("feedback_preview", { send });
}

/**
 * Sends a feedback.
 */
export function feedbackSend(send: SendRecord): Promise<Sent> {
  return call("feedback_send", { send });
}

/**
 * Support requests, newest first.
 */
export function supportList(): Promise<Array<SupportRequest>> {
  return call("support_list", {});
}

/**
 * Writes a support request.
 */
export function supportAdd(fields: SupportFields): Promise<SupportRequest> {
  return call("support_add", { fields });
}

/**
 * Changes a support request (e.g. closes it).
 */
export function supportUpdate(update: SupportUpdate): Promise<SupportRequest> {
  return call("support_update", { update });
}

/**
 * Deletes a support request.
 */
export function supportDelete(id: string): Promise<null> {
  return call("support_delete", { id });
}

/**
 * What the vendor would receive.
 */
export function supportPreview(send: SendRecord): Promise<Array<Preview>> {
  return call("support_preview", { send });
}

/**
 * Sends a support request.
 */
export function supportSend(send: SendRecord): Promise<Sent> {
  return call("support_send", { send });
}

/**
 * Offers and replies, by thread.
 */
export function inbox(vendor: string | null): Promise<Array<InboxMessage>> {
  return call("inbox", { vendor });
}

/**
 * What vendors sent that the person has not seen yet, newest first.
 */
export function inboxUnread(): Promise<Array<InboxMessage>> {
  return call("inbox_unread", {});
}

/**
 * Marks messages as seen.
 */
export function inboxMarkRead(ids: Array<string>): Promise<null> {
  return call("inbox_mark_read", { ids });
}

/**
 * Messages waiting to leave (all of them with `all`).
 */
export function outbox(all: boolean): Promise<Array<OutboxItem>> {
  return call("outbox", { all });
}

/**
 * Delivers what waits (ignoring backoff) and pulls every inbox, now.
 */
export function syncNow(): Promise<SyncReport> {
  return call("sync_now", {});
}

/**
 * Where background delivery stands.
 */
export function syncStatus(): Promise<SyncStatus> {
  return call("sync_status", {});
}

/**
 * The audit log, newest last; one vendor's entries when `vendor` is given.
 */
export function auditLog(vendor: string | null): Promise<Array<AuditEntry>> {
  return call("audit_log", { vendor });
}

/**
 * Checks the audit log's hash chain.
 */
export function auditVerify(): Promise<AuditReport> {
  return call("audit_verify", {});
}

/**
 * Per vendor and consent, what left.
 */
export function shared(vendor: string | null): Promise<Array<SharedWithVendor>> {
  return call("shared", { vendor });
}

/**
 * Per vendor, who there read the person's messages, and whether its log held.
 */
export function accessLog(vendor: string | null): Promise<Array<VendorReads>> {
  return call("access_log", { vendor });
}

/**
 * Full-text search across products, intents, feedback and support requests.
 */
export function search(text: string): Promise<Array<SearchHit>> {
  return call("search", { text });
}


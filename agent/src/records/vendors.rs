//! Vendors the person deals with: a name, the endpoint URL, and the DID pinned on first
//! contact, with what the vendor's signed descriptor says about where to send messages.
//! Adding, changing and removing a vendor is recorded in the audit log. Every query of
//! the vendors table is here; fetching the descriptor and deciding about keys is
//! [`crate::exchange::discovery`]'s part.

use parley_protocol::{AgreementId, Did, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{check_text, edit, now, resolve_id, MAX_SHORT};
use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::ids::VendorId;
use crate::vault::Vault;

/// A vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Vendor {
    /// Record id.
    pub id: VendorId,
    /// Name, unique in the vault (case-insensitive).
    pub name: String,
    /// The vendor's Parley endpoint base URL.
    pub url: Option<String>,
    /// The vendor's pinned DID.
    pub did: Option<Did>,
    /// A short fingerprint of the pinned key, for comparing with what the vendor publishes.
    pub fingerprint: Option<String>,
    /// A different DID the vendor now presents, waiting for the person to accept it.
    pub presented_did: Option<Did>,
    /// The fingerprint of that key: what the person checks with the vendor, and names
    /// when accepting it.
    pub presented_fingerprint: Option<String>,
    /// Where messages are posted (from the descriptor).
    pub messages_url: Option<String>,
    /// Where inbox queries are posted (from the descriptor).
    pub inbox_url: Option<String>,
    /// Where access-log queries are posted, when the vendor keeps a staff-access log
    /// (from the descriptor).
    pub access_log_url: Option<String>,
    /// When the vendor's staff-access log was last fetched and checked.
    pub access_checked: Option<String>,
    /// What was wrong with that log at the last check (an edited, cut or rewritten
    /// chain); `None` when it held.
    pub access_problem: Option<String>,
    /// The standard agreements the vendor accepts (from the descriptor).
    pub agreements: Vec<AgreementId>,
    /// When it was added.
    pub created: String,
    /// When it last changed.
    pub updated: String,
}

/// Fields to set; an empty string clears `url` or `did`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VendorFields {
    /// Name.
    pub name: Option<String>,
    /// Endpoint base URL.
    pub url: Option<String>,
    /// Pinned DID.
    pub did: Option<String>,
}

/// The vendor store.
pub struct Vendors<'a>(&'a Vault);

impl Vault {
    /// Vendors the person deals with.
    pub fn vendors(&self) -> Vendors<'_> {
        Vendors(self)
    }
}

/// A DID column: `None`, or a DID that parses (else the row is damaged).
fn did_column(r: &SqliteRow, column: &str) -> Result<Option<Did>> {
    match r.get::<Option<String>, _>(column) {
        None => Ok(None),
        Some(d) => d.parse().map(Some).map_err(|_| Error::Damaged {
            table: "vendors".into(),
            column: column.into(),
            value: d,
        }),
    }
}

pub(crate) fn from_row(r: &SqliteRow) -> Result<Vendor> {
    let did = did_column(r, "did")?;
    let presented_did = did_column(r, "presented_did")?;
    let agreements: Option<String> = r.get("agreements");
    let agreements = match agreements {
        None => Vec::new(),
        Some(a) => serde_json::from_str(&a).map_err(|_| Error::Damaged {
            table: "vendors".into(),
            column: "agreements".into(),
            value: a.clone(),
        })?,
    };
    Ok(Vendor {
        id: r.get("id"),
        name: r.get("name"),
        url: r.get("url"),
        fingerprint: did.as_ref().map(fingerprint),
        did,
        presented_fingerprint: presented_did.as_ref().map(fingerprint),
        presented_did,
        messages_url: r.get("messages_url"),
        inbox_url: r.get("inbox_url"),
        access_log_url: r.get("access_log_url"),
        access_checked: r.get("access_checked"),
        access_problem: r.get("access_problem"),
        agreements,
        created: r.get("created"),
        updated: r.get("updated"),
    })
}

/// A short, readable fingerprint of a DID's key: the first 16 bytes of the SHA-256 of
/// the public key, in groups of four hex digits (`3f2a 91c0 …`).
pub fn fingerprint(did: &Did) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, &did.public_key().to_bytes());
    hash.as_ref()[..16].chunks(2).map(hex::encode).collect::<Vec<_>>().join(" ")
}

/// Checks an endpoint URL: `https://host…`, or `http://` (loopback only is enforced at
/// delivery time, where the address is resolved).
pub(crate) fn check_url(url: &str) -> Result<()> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) && url.len() <= 2000 => Ok(()),
        _ => Err(Error::invalid("url", format!("{url:?} is not an http:// or https:// URL"))),
    }
}

fn validate(v: &Vendor) -> Result<()> {
    check_text("name", &v.name, MAX_SHORT)?;
    if let Some(url) = &v.url {
        check_url(url)?;
    }
    Ok(())
}

fn parse_did(did: Option<String>) -> Result<Option<Did>> {
    did.map(|d| d.parse().map_err(|e: parley_protocol::DidError| Error::invalid("did", e.to_string())))
        .transpose()
}

fn name_taken(e: sqlx::Error, name: &str) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Error::Conflict(format!("a vendor named {name:?} already exists"))
        }
        _ => Error::Database(e),
    }
}

impl Vendors<'_> {
    /// Adds a vendor; `fields.name` is required.
    pub async fn add(&self, fields: VendorFields) -> Result<Vendor> {
        let stamp = now();
        let did = parse_did(edit(None, fields.did))?;
        let vendor = Vendor {
            id: VendorId::generate(),
            name: fields.name.ok_or_else(|| Error::invalid("name", "is required"))?,
            url: edit(None, fields.url),
            fingerprint: did.as_ref().map(fingerprint),
            did,
            presented_did: None,
            presented_fingerprint: None,
            messages_url: None,
            inbox_url: None,
            access_log_url: None,
            access_checked: None,
            access_problem: None,
            agreements: Vec::new(),
            created: stamp.clone(),
            updated: stamp,
        };
        self.insert(&vendor, None).await
    }

    /// Stores a new vendor (with its signed descriptor when it was fetched).
    pub(crate) async fn insert(&self, vendor: &Vendor, descriptor: Option<&str>) -> Result<Vendor> {
        validate(vendor)?;
        let mut tx = self.0.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO vendors (id, name, url, did, pairwise_salt, messages_url, inbox_url, access_log_url,
             agreements, descriptor, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&vendor.id)
        .bind(&vendor.name)
        .bind(&vendor.url)
        .bind(vendor.did.as_ref().map(Did::as_str))
        .bind(vendor.did.as_ref().map(Did::as_str))
        .bind(&vendor.messages_url)
        .bind(&vendor.inbox_url)
        .bind(&vendor.access_log_url)
        .bind(serde_json::to_string(&vendor.agreements).unwrap_or_else(|_| "[]".into()))
        .bind(descriptor)
        .bind(&vendor.created)
        .bind(&vendor.updated)
        .execute(&mut *tx)
        .await
        .map_err(|e| name_taken(e, &vendor.name))?;
        let entry = Entry::new("vendor.added", format!("Added vendor {}", vendor.name))
            .vendor(&vendor.id)
            .detail(json!({"url": vendor.url, "did": vendor.did, "fingerprint": vendor.fingerprint}));
        append_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(vendor.clone())
    }

    /// All vendors, by name.
    pub async fn list(&self) -> Result<Vec<Vendor>> {
        let rows = sqlx::query("SELECT * FROM vendors ORDER BY name COLLATE NOCASE")
            .fetch_all(self.0.pool())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// The vendor with this id (or unique id prefix), or this exact name.
    pub async fn get(&self, id_or_name: &str) -> Result<Vendor> {
        let by_name = sqlx::query("SELECT * FROM vendors WHERE name = ? COLLATE NOCASE")
            .bind(id_or_name)
            .fetch_optional(self.0.pool())
            .await?;
        if let Some(row) = by_name {
            return from_row(&row);
        }
        let id: VendorId = resolve_id(self.0.pool(), "vendors", "vendor", id_or_name).await?;
        self.by_id(&id).await
    }

    /// Changes the given fields.
    pub async fn update(&self, id_or_name: &str, fields: VendorFields) -> Result<Vendor> {
        let before = self.get(id_or_name).await?;
        let mut vendor = before.clone();
        if let Some(name) = fields.name {
            vendor.name = name;
        }
        vendor.url = edit(vendor.url, fields.url);
        if let Some(did) = fields.did {
            vendor.did = parse_did(Some(did).filter(|d| !d.is_empty()))?;
        }
        vendor.updated = now();
        validate(&vendor)?;
        let mut tx = self.0.pool().begin_with("BEGIN IMMEDIATE").await?;
        if before.did.is_some() && vendor.did != before.did {
            return Err(Error::Conflict(format!(
                "vendor {} has a pinned key: a new key is accepted only when the vendor presents it",
                vendor.name
            )));
        }
        sqlx::query(
            "UPDATE vendors SET name = ?, url = ?, did = ?, pairwise_salt = coalesce(pairwise_salt, ?3),
             updated = ? WHERE id = ?",
        )
        .bind(&vendor.name)
        .bind(&vendor.url)
        .bind(vendor.did.as_ref().map(Did::as_str))
        .bind(&vendor.updated)
        .bind(&vendor.id)
        .execute(&mut *tx)
        .await
        .map_err(|e| name_taken(e, &vendor.name))?;
        let entry = Entry::new("vendor.changed", format!("Changed vendor {}", vendor.name))
            .vendor(&vendor.id)
            .detail(json!({"before": {"name": before.name, "url": before.url, "did": before.did},
                   "after": {"name": vendor.name, "url": vendor.url, "did": vendor.did}}));
        append_in(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(vendor)
    }

    /// Removes a vendor. Refused while consents or feedback refer to it.
    pub async fn delete(&self, id_or_name: &str) -> Result<Vendor> {
        let vendor = self.get(id_or_name).await?;
        let mut tx = self.0.pool().begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM vendors WHERE id = ?")
            .bind(&vendor.id)
            .execute(&mut *tx)
            .await
            .map_err(|e| super::in_use(e, &format!("vendor {}", vendor.name)))?;
        append_in(
            &mut tx,
            Entry::new("vendor.removed", format!("Removed vendor {}", vendor.name)).vendor(&vendor.id),
        )
        .await?;
        tx.commit().await?;
        Ok(vendor)
    }
}

/// What a vendor's verified descriptor says, as the vendors table keeps it.
pub(crate) struct DescriptorFacts {
    pub did: Did,
    pub messages_url: String,
    pub inbox_url: String,
    pub access_log_url: Option<String>,
    pub agreements: Vec<AgreementId>,
    /// The signed descriptor, canonical.
    pub canonical: String,
}

impl From<&parley_protocol::Verified<parley_protocol::VendorDescriptor>> for DescriptorFacts {
    fn from(d: &parley_protocol::Verified<parley_protocol::VendorDescriptor>) -> Self {
        Self {
            did: d.did.clone(),
            messages_url: d.endpoints.messages.clone(),
            inbox_url: d.endpoints.inbox.clone(),
            access_log_url: d.endpoints.access_log.clone(),
            agreements: d.agreements.clone(),
            canonical: d.canonical().to_owned(),
        }
    }
}

impl DescriptorFacts {
    fn agreements_json(&self) -> String {
        serde_json::to_string(&self.agreements).unwrap_or_else(|_| "[]".into())
    }
}

/// The key, endpoints and agreements the vendor's descriptor gives, with its own key
/// (re)confirmed: the first key is pinned (and salts the person's pairwise identity),
/// a changed key presented earlier is forgotten.
pub(crate) async fn confirm_descriptor_in(
    conn: &mut SqliteConnection,
    vendor_id: &VendorId,
    facts: &DescriptorFacts,
) -> Result<()> {
    sqlx::query(
        "UPDATE vendors SET did = ?1, pairwise_salt = coalesce(pairwise_salt, ?1), presented_did = NULL,
         messages_url = ?2, inbox_url = ?3, agreements = ?4, descriptor = ?5, access_log_url = ?7
         WHERE id = ?6",
    )
    .bind(facts.did.as_str())
    .bind(&facts.messages_url)
    .bind(&facts.inbox_url)
    .bind(facts.agreements_json())
    .bind(&facts.canonical)
    .bind(vendor_id)
    .bind(&facts.access_log_url)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records the key a vendor presents instead of its pinned one.
pub(crate) async fn present_key_in(
    conn: &mut SqliteConnection,
    vendor_id: &VendorId,
    presented: &Did,
) -> Result<()> {
    sqlx::query("UPDATE vendors SET presented_did = ?, updated = ? WHERE id = ?")
        .bind(presented.as_str())
        .bind(now())
        .bind(vendor_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Pins the new key the person accepted, with the descriptor it came in; the pairwise
/// salt stays the first key pinned, so the person's identity with the vendor stays too.
pub(crate) async fn accept_key_in(
    conn: &mut SqliteConnection,
    vendor_id: &VendorId,
    facts: &DescriptorFacts,
) -> Result<()> {
    sqlx::query(
        "UPDATE vendors SET did = ?, presented_did = NULL, pairwise_salt = coalesce(pairwise_salt, did),
         messages_url = ?, inbox_url = ?, access_log_url = ?, agreements = ?, descriptor = ?, updated = ?
         WHERE id = ?",
    )
    .bind(facts.did.as_str())
    .bind(&facts.messages_url)
    .bind(&facts.inbox_url)
    .bind(&facts.access_log_url)
    .bind(facts.agreements_json())
    .bind(&facts.canonical)
    .bind(now())
    .bind(vendor_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a check of the vendor's staff-access log: when, and what was wrong (`None`
/// when the chain held).
pub(crate) async fn access_checked_in(
    conn: &mut SqliteConnection,
    vendor_id: &VendorId,
    problem: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE vendors SET access_checked = ?, access_problem = ? WHERE id = ?")
        .bind(now())
        .bind(problem)
        .bind(vendor_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The DID the person's pairwise identity with a vendor is derived from: the first one
/// pinned. `None` before any key is known.
pub(crate) async fn pairwise_salt(conn: &mut SqliteConnection, vendor_id: &VendorId) -> Result<Option<Did>> {
    let salt: Option<Option<String>> =
        sqlx::query_scalar("SELECT coalesce(pairwise_salt, did) FROM vendors WHERE id = ?")
            .bind(vendor_id)
            .fetch_optional(&mut *conn)
            .await?;
    match salt.flatten() {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| Error::Damaged {
            table: "vendors".into(),
            column: "pairwise_salt".into(),
            value: s.clone(),
        }),
    }
}

impl Vendors<'_> {
    /// The vendor with exactly this id.
    pub(crate) async fn by_id(&self, id: &VendorId) -> Result<Vendor> {
        let row = sqlx::query("SELECT * FROM vendors WHERE id = ?").bind(id).fetch_one(self.0.pool()).await?;
        from_row(&row)
    }

    /// Vendors with something due in the outbox (everything queued when
    /// `ignore_backoff`), or with a consent under which they may have sent something.
    pub(crate) async fn with_traffic(&self, ignore_backoff: bool) -> Result<Vec<Vendor>> {
        let rows = sqlx::query(
            "SELECT * FROM vendors WHERE
               id IN (SELECT vendor_id FROM outbox WHERE state = 'queued' AND (?1 OR next_attempt <= ?2))
               OR (did IS NOT NULL AND id IN (SELECT vendor_id FROM consents WHERE state <> 'draft'))
             ORDER BY name COLLATE NOCASE",
        )
        .bind(ignore_backoff)
        .bind(now())
        .fetch_all(self.0.pool())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// From when the next inbox query asks (inclusive): the newest message received.
    pub(crate) async fn inbox_since(&self, vendor_id: &VendorId) -> Result<Option<Timestamp>> {
        let since: Option<String> = sqlx::query_scalar("SELECT inbox_since FROM vendors WHERE id = ?")
            .bind(vendor_id)
            .fetch_one(self.0.pool())
            .await?;
        Ok(since.and_then(|s| s.parse().ok()))
    }

    /// Moves the inbox mark on to `newest`, never back.
    pub(crate) async fn advance_inbox_since(&self, vendor_id: &VendorId, newest: Timestamp) -> Result<()> {
        sqlx::query("UPDATE vendors SET inbox_since = max(coalesce(inbox_since, ''), ?) WHERE id = ?")
            .bind(newest.to_string())
            .bind(vendor_id)
            .execute(self.0.pool())
            .await?;
        Ok(())
    }
}

//! Vendors the person deals with: a name, the endpoint URL, and the DID pinned on first
//! contact, with what the vendor's signed descriptor says about where to send messages.
//! Adding, changing and removing a vendor is recorded in the audit log. Fetching the
//! descriptor and pinning the key is [`crate::discovery`]'s part.

use parley_protocol::Did;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{check_text, edit, new_id, now, resolve_id, MAX_SHORT};
use crate::audit::{append_in, Entry};
use crate::error::{Error, Result};
use crate::vault::Vault;

/// A vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Vendor {
    /// Record id.
    pub id: String,
    /// Name, unique in the vault (case-insensitive).
    pub name: String,
    /// The vendor's Parley endpoint base URL.
    pub url: Option<String>,
    /// The vendor's pinned DID.
    pub did: Option<String>,
    /// A short fingerprint of the pinned key, for comparing with what the vendor publishes.
    pub fingerprint: Option<String>,
    /// A different DID the vendor now presents, waiting for the person to accept it.
    pub presented_did: Option<String>,
    /// The fingerprint of that key: what the person checks with the vendor, and names
    /// when accepting it.
    pub presented_fingerprint: Option<String>,
    /// Where messages are posted (from the descriptor).
    pub messages_url: Option<String>,
    /// Where inbox queries are posted (from the descriptor).
    pub inbox_url: Option<String>,
    /// The standard agreements the vendor accepts (from the descriptor).
    pub agreements: Vec<String>,
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

pub(crate) fn from_row(r: &SqliteRow) -> Vendor {
    let did: Option<String> = r.get("did");
    let agreements: Option<String> = r.get("agreements");
    Vendor {
        id: r.get("id"),
        name: r.get("name"),
        url: r.get("url"),
        fingerprint: did.as_deref().and_then(|d| d.parse::<Did>().ok()).map(|d| fingerprint(&d)),
        did,
        presented_fingerprint: r
            .get::<Option<String>, _>("presented_did")
            .and_then(|d| d.parse::<Did>().ok())
            .map(|d| fingerprint(&d)),
        presented_did: r.get("presented_did"),
        messages_url: r.get("messages_url"),
        inbox_url: r.get("inbox_url"),
        agreements: agreements.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or_default(),
        created: r.get("created"),
        updated: r.get("updated"),
    }
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
    if let Some(did) = &v.did {
        did.parse::<Did>().map_err(|e| Error::invalid("did", e.to_string()))?;
    }
    Ok(())
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
        let did = edit(None, fields.did);
        let vendor = Vendor {
            id: new_id(),
            name: fields.name.ok_or_else(|| Error::invalid("name", "is required"))?,
            url: edit(None, fields.url),
            fingerprint: did.as_deref().and_then(|d| d.parse::<Did>().ok()).map(|d| fingerprint(&d)),
            did,
            presented_did: None,
            presented_fingerprint: None,
            messages_url: None,
            inbox_url: None,
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
            "INSERT INTO vendors (id, name, url, did, pairwise_salt, messages_url, inbox_url, agreements,
             descriptor, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&vendor.id)
        .bind(&vendor.name)
        .bind(&vendor.url)
        .bind(&vendor.did)
        .bind(&vendor.did)
        .bind(&vendor.messages_url)
        .bind(&vendor.inbox_url)
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
        Ok(rows.iter().map(from_row).collect())
    }

    /// The vendor with this id (or unique id prefix), or this exact name.
    pub async fn get(&self, id_or_name: &str) -> Result<Vendor> {
        let by_name = sqlx::query("SELECT * FROM vendors WHERE name = ? COLLATE NOCASE")
            .bind(id_or_name)
            .fetch_optional(self.0.pool())
            .await?;
        if let Some(row) = by_name {
            return Ok(from_row(&row));
        }
        let id = resolve_id(self.0.pool(), "vendors", "vendor", id_or_name).await?;
        let row =
            sqlx::query("SELECT * FROM vendors WHERE id = ?").bind(&id).fetch_one(self.0.pool()).await?;
        Ok(from_row(&row))
    }

    /// Changes the given fields.
    pub async fn update(&self, id_or_name: &str, fields: VendorFields) -> Result<Vendor> {
        let before = self.get(id_or_name).await?;
        let mut vendor = before.clone();
        if let Some(name) = fields.name {
            vendor.name = name;
        }
        vendor.url = edit(vendor.url, fields.url);
        vendor.did = edit(vendor.did, fields.did);
        vendor.updated = now();
        validate(&vendor)?;
        let mut tx = self.0.pool().begin_with("BEGIN IMMEDIATE").await?;
        if before.did.is_some() && vendor.did != before.did {
            return Err(Error::Conflict(format!(
                "vendor {} has a pinned key; a new one is accepted with `parley vendor trust {} --accept-new-key`",
                vendor.name, vendor.name
            )));
        }
        sqlx::query(
            "UPDATE vendors SET name = ?, url = ?, did = ?, pairwise_salt = coalesce(pairwise_salt, ?3),
             updated = ? WHERE id = ?",
        )
        .bind(&vendor.name)
        .bind(&vendor.url)
        .bind(&vendor.did)
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

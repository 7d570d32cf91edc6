//! Products the person owns, and the files attached to them (receipts, manuals), stored
//! inside the encrypted vault like everything else.

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{
    check_date, check_money, check_opt_text, check_text, edit, money_from_columns, now, resolve_id, Money,
    Page, MAX_SHORT, MAX_TEXT,
};
use crate::error::{Error, Result};
use crate::ids::{AttachmentId, ProductId};
use crate::vault::Vault;
use parley_protocol::OrderStatus;

/// Largest attachment accepted: 25 MiB.
pub const MAX_ATTACHMENT: usize = 25 * 1024 * 1024;

/// A product the person owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Product {
    /// Record id.
    pub id: ProductId,
    /// What it is called.
    pub name: String,
    /// Who sold or made it.
    pub vendor: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Purchase date, `YYYY-MM-DD`.
    pub purchased: Option<String>,
    /// Purchase price.
    pub price: Option<Money>,
    /// Warranty end, `YYYY-MM-DD`.
    pub warranty_until: Option<String>,
    /// Anything else.
    pub notes: Option<String>,
    /// For a product that came from an order: where the order stands (`delivered`, or
    /// `refunded` after a return).
    pub order_status: Option<OrderStatus>,
    /// Whether the vault holds its proof of purchase (the signed offer, acceptance and
    /// order updates), to write out with `proof`.
    pub has_proof: bool,
    /// When it was added.
    pub created: String,
    /// When it last changed.
    pub updated: String,
}

/// Fields to set when adding (name required) or editing (only what is given changes;
/// an empty string clears an optional field).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProductFields {
    /// Name.
    pub name: Option<String>,
    /// Vendor.
    pub vendor: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Purchase date.
    pub purchased: Option<String>,
    /// Purchase price.
    pub price: Option<Money>,
    /// Warranty end.
    pub warranty_until: Option<String>,
    /// Notes.
    pub notes: Option<String>,
}

/// A file attached to a product (metadata; the bytes come with [`Products::attachment_content`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// Record id.
    pub id: AttachmentId,
    /// The product.
    pub product_id: ProductId,
    /// File name.
    pub name: String,
    /// Media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Size in bytes.
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// When it was attached.
    pub created: String,
}

/// The product store.
pub struct Products<'a>(&'a Vault);

impl Vault {
    /// Products the person owns.
    pub fn products(&self) -> Products<'_> {
        Products(self)
    }
}

fn from_row(r: &SqliteRow) -> Product {
    Product {
        id: r.get("id"),
        name: r.get("name"),
        vendor: r.get("vendor"),
        model: r.get("model"),
        serial: r.get("serial"),
        purchased: r.get("purchased"),
        price: money_from_columns(r.get("price_amount"), r.get("price_currency")),
        warranty_until: r.get("warranty_until"),
        notes: r.get("notes"),
        order_status: r.get::<Option<String>, _>("order_status").and_then(|s| s.parse().ok()),
        has_proof: r.get::<Option<String>, _>("proof").is_some(),
        created: r.get("created"),
        updated: r.get("updated"),
    }
}

/// What an order says about the product it delivered.
pub(crate) struct Ordered {
    /// The accepted offer (its inbox id).
    pub offer: crate::ids::MessageUuid,
    pub name: String,
    pub model: Option<String>,
    pub vendor: String,
    pub price: Option<Money>,
    /// The day of the update, `YYYY-MM-DD`.
    pub day: String,
    pub serial: Option<String>,
    pub warranty_until: Option<String>,
    pub status: OrderStatus,
    /// The proof of purchase, in its RFC 8785 form.
    pub proof: String,
    /// The product the person already added for the intent, to complete.
    pub linked: Option<ProductId>,
}

/// Records an order update on the product it concerns: a delivered order adds the
/// product (once); a later update (a refund) moves it on and renews its proof. Returns
/// the product and whether it is new; `None` while nothing was delivered.
pub(crate) async fn from_order_in(
    conn: &mut sqlx::SqliteConnection,
    o: &Ordered,
) -> Result<Option<(Product, bool)>> {
    let stamp = now();
    let existing: Option<ProductId> = sqlx::query_scalar("SELECT id FROM products WHERE offer = ?")
        .bind(&o.offer)
        .fetch_optional(&mut *conn)
        .await?;
    // A product the person added for this intent and linked: completed, not doubled.
    let linked = match (&existing, &o.linked) {
        (None, Some(id)) if o.status == OrderStatus::Delivered => {
            let free: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM products WHERE id = ? AND offer IS NULL")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            free.map(|_| id.clone())
        }
        _ => None,
    };
    if let Some(id) = linked {
        sqlx::query(
            "UPDATE products SET offer = ?, order_status = ?, proof = ?, vendor = coalesce(vendor, ?),
             model = coalesce(model, ?), serial = coalesce(?, serial), purchased = coalesce(purchased, ?),
             price_amount = coalesce(price_amount, ?), price_currency = coalesce(price_currency, ?),
             warranty_until = coalesce(?, warranty_until), updated = ? WHERE id = ?",
        )
        .bind(&o.offer)
        .bind(o.status.as_str())
        .bind(&o.proof)
        .bind(&o.vendor)
        .bind(&o.model)
        .bind(&o.serial)
        .bind(&o.day)
        .bind(o.price.as_ref().map(|m| &m.amount))
        .bind(o.price.as_ref().map(|m| &m.currency))
        .bind(&o.warranty_until)
        .bind(&stamp)
        .bind(&id)
        .execute(&mut *conn)
        .await?;
        let row = sqlx::query("SELECT * FROM products WHERE id = ?").bind(&id).fetch_one(&mut *conn).await?;
        return Ok(Some((from_row(&row), true)));
    }
    let (id, new) = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE products SET order_status = ?, proof = ?, serial = coalesce(?, serial),
                 warranty_until = coalesce(?, warranty_until), updated = ? WHERE id = ?",
            )
            .bind(o.status.as_str())
            .bind(&o.proof)
            .bind(&o.serial)
            .bind(&o.warranty_until)
            .bind(&stamp)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
            (id, false)
        }
        None if o.status == OrderStatus::Delivered => {
            let product = Product {
                id: ProductId::generate(),
                name: o.name.clone(),
                vendor: Some(o.vendor.clone()),
                model: o.model.clone(),
                serial: o.serial.clone(),
                purchased: Some(o.day.clone()),
                price: o.price.clone(),
                warranty_until: o.warranty_until.clone(),
                notes: None,
                order_status: Some(o.status),
                has_proof: true,
                created: stamp.clone(),
                updated: stamp,
            };
            validate(&product)?;
            insert_in(conn, &product).await?;
            sqlx::query("UPDATE products SET offer = ?, order_status = ?, proof = ? WHERE id = ?")
                .bind(&o.offer)
                .bind(o.status.as_str())
                .bind(&o.proof)
                .bind(&product.id)
                .execute(&mut *conn)
                .await?;
            (product.id, true)
        }
        None => return Ok(None),
    };
    let row = sqlx::query("SELECT * FROM products WHERE id = ?").bind(&id).fetch_one(&mut *conn).await?;
    Ok(Some((from_row(&row), new)))
}

/// Inserts a validated product's own fields (not what an order adds).
async fn insert_in(conn: &mut sqlx::SqliteConnection, p: &Product) -> Result<()> {
    sqlx::query(
        "INSERT INTO products (id, name, vendor, model, serial, purchased, price_amount, price_currency,
         warranty_until, notes, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.vendor)
    .bind(&p.model)
    .bind(&p.serial)
    .bind(&p.purchased)
    .bind(p.price.as_ref().map(|m| &m.amount))
    .bind(p.price.as_ref().map(|m| &m.currency))
    .bind(&p.warranty_until)
    .bind(&p.notes)
    .bind(&p.created)
    .bind(&p.updated)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn validate(p: &Product) -> Result<()> {
    check_text("name", &p.name, MAX_SHORT)?;
    check_opt_text("vendor", &p.vendor, MAX_SHORT)?;
    check_opt_text("model", &p.model, MAX_SHORT)?;
    check_opt_text("serial", &p.serial, MAX_SHORT)?;
    check_date("purchased", p.purchased.as_deref())?;
    check_money("price", &p.price)?;
    check_date("warranty-until", p.warranty_until.as_deref())?;
    check_opt_text("notes", &p.notes, MAX_TEXT)
}

impl Products<'_> {
    /// Adds a product; `fields.name` is required.
    pub async fn add(&self, fields: ProductFields) -> Result<Product> {
        let stamp = now();
        let name = fields.name.clone().ok_or_else(|| Error::invalid("name", "is required"))?;
        let product = apply(
            Product {
                id: ProductId::generate(),
                name,
                vendor: None,
                model: None,
                serial: None,
                purchased: None,
                price: None,
                warranty_until: None,
                notes: None,
                order_status: None,
                has_proof: false,
                created: stamp.clone(),
                updated: stamp,
            },
            fields,
        );
        validate(&product)?;
        self.insert_batch(std::slice::from_ref(&product)).await?;
        Ok(product)
    }

    /// Inserts already-validated products in one transaction (imports, benchmarks).
    pub async fn insert_batch(&self, products: &[Product]) -> Result<()> {
        let mut tx = self.0.pool().begin_with("BEGIN IMMEDIATE").await?;
        for p in products {
            validate(p)?;
            insert_in(&mut tx, p).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A page of products, newest first.
    pub async fn list(&self, page: Page) -> Result<Vec<Product>> {
        let rows = match &page.after {
            None => {
                sqlx::query("SELECT * FROM products ORDER BY created DESC, id DESC LIMIT ?")
                    .bind(page.sql_limit())
                    .fetch_all(self.0.pool())
                    .await?
            }
            Some(after) => {
                let cursor = self.get(after).await?;
                sqlx::query(
                    "SELECT * FROM products WHERE (created, id) < (?, ?) ORDER BY created DESC, id DESC LIMIT ?",
                )
                .bind(&cursor.created)
                .bind(&cursor.id)
                .bind(page.sql_limit())
                .fetch_all(self.0.pool())
                .await?
            }
        };
        Ok(rows.iter().map(from_row).collect())
    }

    /// Products whose warranty ends from `today` (`YYYY-MM-DD`) to [`WARRANTY_SOON_DAYS`]
    /// days after it, soonest first: what the app reminds the person of.
    pub async fn warranties_ending(&self, today: &str) -> Result<Vec<Product>> {
        check_date("today", Some(today))?;
        let rows = sqlx::query(
            "SELECT * FROM products WHERE warranty_until BETWEEN ?1 AND date(?1, ?2)
             ORDER BY warranty_until, id",
        )
        .bind(today)
        .bind(format!("+{WARRANTY_SOON_DAYS} days"))
        .fetch_all(self.0.pool())
        .await?;
        Ok(rows.iter().map(from_row).collect())
    }

    /// The product's proof of purchase, in its RFC 8785 form: what `parley product proof`
    /// writes and anyone can check offline.
    pub async fn proof(&self, id: &str) -> Result<String> {
        let product = self.get(id).await?;
        let proof: Option<String> = sqlx::query_scalar("SELECT proof FROM products WHERE id = ?")
            .bind(&product.id)
            .fetch_one(self.0.pool())
            .await?;
        proof.ok_or_else(|| {
            Error::invalid(
                "product",
                format!(
                    "{} has no proof of purchase: only a product delivered through Parley has one",
                    product.name
                ),
            )
        })
    }

    /// How many products there are.
    pub async fn count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(self.0.pool()).await?)
    }

    /// The product with `id` (or a unique prefix of it).
    pub async fn get(&self, id: &str) -> Result<Product> {
        let id: ProductId = resolve_id(self.0.pool(), "products", "product", id).await?;
        self.by_id(&id).await
    }

    /// The product with exactly this id.
    pub(crate) async fn by_id(&self, id: &ProductId) -> Result<Product> {
        let row =
            sqlx::query("SELECT * FROM products WHERE id = ?").bind(id).fetch_one(self.0.pool()).await?;
        Ok(from_row(&row))
    }

    /// Changes the given fields.
    pub async fn update(&self, id: &str, fields: ProductFields) -> Result<Product> {
        let mut product = apply(self.get(id).await?, fields);
        product.updated = now();
        validate(&product)?;
        sqlx::query(
            "UPDATE products SET name = ?, vendor = ?, model = ?, serial = ?, purchased = ?, price_amount = ?,
             price_currency = ?, warranty_until = ?, notes = ?, updated = ? WHERE id = ?",
        )
        .bind(&product.name)
        .bind(&product.vendor)
        .bind(&product.model)
        .bind(&product.serial)
        .bind(&product.purchased)
        .bind(product.price.as_ref().map(|m| &m.amount))
        .bind(product.price.as_ref().map(|m| &m.currency))
        .bind(&product.warranty_until)
        .bind(&product.notes)
        .bind(&product.updated)
        .bind(&product.id)
        .execute(self.0.pool())
        .await?;
        Ok(product)
    }

    /// Deletes the product and its attachments. Refused while feedback or support
    /// requests refer to it.
    pub async fn delete(&self, id: &str) -> Result<Product> {
        let product = self.get(id).await?;
        sqlx::query("DELETE FROM products WHERE id = ?")
            .bind(&product.id)
            .execute(self.0.pool())
            .await
            .map_err(|e| super::in_use(e, &format!("product {}", product.id)))?;
        Ok(product)
    }

    /// Attaches a file's bytes to a product.
    pub async fn attach(
        &self,
        product_id: &str,
        name: &str,
        media_type: &str,
        content: &[u8],
    ) -> Result<Attachment> {
        let product = self.get(product_id).await?;
        check_text("file name", name, MAX_SHORT)?;
        if content.len() > MAX_ATTACHMENT {
            return Err(Error::invalid(
                "file",
                format!("is {} bytes, at most {MAX_ATTACHMENT} bytes can be attached", content.len()),
            ));
        }
        let attachment = Attachment {
            id: AttachmentId::generate(),
            product_id: product.id,
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            size: content.len() as i64,
            sha256: hex::encode(ring::digest::digest(&ring::digest::SHA256, content).as_ref()),
            created: now(),
        };
        sqlx::query(
            "INSERT INTO attachments (id, product_id, name, media_type, size, sha256, content, created)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&attachment.id)
        .bind(&attachment.product_id)
        .bind(&attachment.name)
        .bind(&attachment.media_type)
        .bind(attachment.size)
        .bind(&attachment.sha256)
        .bind(content)
        .bind(&attachment.created)
        .execute(self.0.pool())
        .await?;
        Ok(attachment)
    }

    /// The files attached to a product.
    pub async fn attachments(&self, product_id: &str) -> Result<Vec<Attachment>> {
        let product = self.get(product_id).await?;
        let rows = sqlx::query(
            "SELECT id, product_id, name, media_type, size, sha256, created FROM attachments
             WHERE product_id = ? ORDER BY created, id",
        )
        .bind(&product.id)
        .fetch_all(self.0.pool())
        .await?;
        Ok(rows.iter().map(attachment_from_row).collect())
    }

    /// An attachment's metadata and bytes.
    pub async fn attachment_content(&self, attachment_id: &str) -> Result<(Attachment, Vec<u8>)> {
        let id: AttachmentId = resolve_id(self.0.pool(), "attachments", "attachment", attachment_id).await?;
        let row =
            sqlx::query("SELECT * FROM attachments WHERE id = ?").bind(&id).fetch_one(self.0.pool()).await?;
        Ok((attachment_from_row(&row), row.get("content")))
    }

    /// Removes an attachment.
    pub async fn detach(&self, attachment_id: &str) -> Result<Attachment> {
        let (attachment, _) = self.attachment_content(attachment_id).await?;
        sqlx::query("DELETE FROM attachments WHERE id = ?")
            .bind(&attachment.id)
            .execute(self.0.pool())
            .await?;
        Ok(attachment)
    }
}

fn attachment_from_row(r: &SqliteRow) -> Attachment {
    Attachment {
        id: r.get("id"),
        product_id: r.get("product_id"),
        name: r.get("name"),
        media_type: r.get("media_type"),
        size: r.get("size"),
        sha256: r.get("sha256"),
        created: r.get("created"),
    }
}

fn apply(mut p: Product, f: ProductFields) -> Product {
    if let Some(name) = f.name {
        p.name = name;
    }
    p.vendor = edit(p.vendor, f.vendor);
    p.model = edit(p.model, f.model);
    p.serial = edit(p.serial, f.serial);
    p.purchased = edit(p.purchased, f.purchased);
    if let Some(price) = f.price {
        p.price = if price.amount.is_empty() { None } else { Some(price) };
    }
    p.warranty_until = edit(p.warranty_until, f.warranty_until);
    p.notes = edit(p.notes, f.notes);
    p
}

/// Where a product's warranty stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum WarrantyStatus {
    /// More than [`WARRANTY_SOON_DAYS`] days left.
    Active,
    /// Ends within [`WARRANTY_SOON_DAYS`] days.
    EndingSoon,
    /// Ended.
    Ended,
    /// No warranty date recorded.
    Unknown,
}

/// "Ending soon" means within this many days.
pub const WARRANTY_SOON_DAYS: i64 = 30;

/// A product's warranty on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Warranty {
    /// Active, ending soon, ended, or unknown.
    pub status: WarrantyStatus,
    /// Days until it ends (negative once ended); absent when unknown.
    pub days_left: Option<i32>,
}

impl Product {
    /// The warranty as of `today` (`YYYY-MM-DD`).
    pub fn warranty(&self, today: &str) -> Warranty {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let parse = |s: &str| time::Date::parse(s, &format).ok();
        let (Some(end), Some(today)) = (self.warranty_until.as_deref().and_then(parse), parse(today)) else {
            return Warranty { status: WarrantyStatus::Unknown, days_left: None };
        };
        let days = (end - today).whole_days();
        let status = match days {
            d if d < 0 => WarrantyStatus::Ended,
            d if d <= WARRANTY_SOON_DAYS => WarrantyStatus::EndingSoon,
            _ => WarrantyStatus::Active,
        };
        Warranty { status, days_left: Some(days.clamp(i32::MIN as i64, i32::MAX as i64) as i32) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_warranty(until: Option<&str>) -> Product {
        Product {
            id: ProductId::generate(),
            name: "Kettle".into(),
            vendor: None,
            model: None,
            serial: None,
            purchased: None,
            price: None,
            warranty_until: until.map(str::to_owned),
            order_status: None,
            has_proof: false,
            notes: None,
            created: String::new(),
            updated: String::new(),
        }
    }

    #[test]
    fn warranty_is_active_ending_soon_ended_or_unknown() {
        let status = |until| with_warranty(until).warranty("2026-11-23");
        assert_eq!(status(Some("2027-05-01")).status, WarrantyStatus::Active);
        assert_eq!(
            status(Some("2026-12-23")),
            Warranty { status: WarrantyStatus::EndingSoon, days_left: Some(30) }
        );
        assert_eq!(
            status(Some("2026-11-23")).status,
            WarrantyStatus::EndingSoon,
            "the last day still counts"
        );
        assert_eq!(
            status(Some("2026-11-22")),
            Warranty { status: WarrantyStatus::Ended, days_left: Some(-1) }
        );
        assert_eq!(status(None).status, WarrantyStatus::Unknown);
    }
}

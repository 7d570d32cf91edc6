//! API tokens: how a machine (a helpdesk macro, a script) uses the console's JSON API.
//! A token has a name, a role (agent or viewer: never admin) and a secret shown once; the
//! store keeps only the secret's SHA-256. Every query of the api_tokens table is here.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::staff::{next_number, random_token, token_hash, uuid_v4, Role};
use super::Store;
use crate::error::{Error, Result};
use parley_protocol::Timestamp;

/// What every token starts with, so a leaked one is recognisable in logs and scanners.
pub const TOKEN_PREFIX: &str = "pvt_";

/// An API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    /// Stable id.
    pub id: String,
    /// Its number: what people whose messages it reads see ("token 2").
    pub number: i64,
    /// The name the admin gave it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// When it was made.
    pub created: String,
    /// When it was last used.
    pub last_used: Option<String>,
    /// When it was revoked; revoked tokens are refused.
    pub revoked: Option<String>,
}

fn token_row(r: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        name: r.try_get("name")?,
        role: r.try_get::<String, _>("role")?.parse()?,
        created: r.try_get("created")?,
        last_used: r.try_get("last_used")?,
        revoked: r.try_get("revoked")?,
    })
}

const COLUMNS: &str = "id, number, name, role, created, last_used, revoked";

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(Error::Invalid("name: 1 to 80 printable characters".into()));
    }
    Ok(name.to_owned())
}

impl Store {
    /// Makes a token; returns it with its secret, which is not kept.
    pub async fn add_token(&self, name: &str, role: Role) -> Result<(ApiToken, String)> {
        let name = check_name(name)?;
        if role == Role::Admin {
            return Err(Error::Invalid(
                "role: a token is an agent or a viewer; staff, rules and agreements stay with people".into(),
            ));
        }
        let secret = format!("{TOKEN_PREFIX}{}", random_token());
        let mut tx = self.write_tx(self.pool()).await?;
        let token = ApiToken {
            id: uuid_v4(),
            number: next_number(&mut tx, "api_tokens").await?,
            name,
            role,
            created: Timestamp::now().to_string(),
            last_used: None,
            revoked: None,
        };
        sqlx::query(
            "INSERT INTO api_tokens (id, number, name, role, hash, created) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&token.id)
        .bind(token.number)
        .bind(&token.name)
        .bind(role.as_str())
        .bind(token_hash(&secret))
        .bind(&token.created)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() && db.message().contains("name") => {
                Error::Invalid(format!("name: there is a token called {:?} already", token.name))
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Invalid("another token was made at the same moment: try again".into())
            }
            _ => e.into(),
        })?;
        tx.commit().await?;
        Ok((token, secret))
    }

    /// Every token, by name.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY name"))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(token_row).collect()
    }

    /// Revokes the token called `name`; it is refused from now on, on every instance.
    pub async fn revoke_token(&self, name: &str) -> Result<ApiToken> {
        let name = name.trim();
        sqlx::query("UPDATE api_tokens SET revoked = $1 WHERE name = $2 AND revoked IS NULL")
            .bind(Timestamp::now().to_string())
            .bind(name)
            .execute(self.pool())
            .await?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE name = $1"))
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(token_row).transpose()?.ok_or(Error::NotFound { kind: "token", id: name.into() })
    }

    /// The live token whose secret this is, marked used; `None` for an unknown or
    /// revoked one.
    pub async fn token_by_secret(&self, secret: &str) -> Result<Option<ApiToken>> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let row =
            sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE hash = $1 AND revoked IS NULL"))
                .bind(token_hash(secret))
                .fetch_optional(self.pool())
                .await?;
        let Some(token) = row.as_ref().map(token_row).transpose()? else { return Ok(None) };
        // Once a minute is enough to say when it was last used.
        let now = Timestamp::now().to_string();
        if token.last_used.as_deref().is_none_or(|t| t.get(..16) != now.get(..16)) {
            sqlx::query("UPDATE api_tokens SET last_used = $1 WHERE id = $2")
                .bind(&now)
                .bind(&token.id)
                .execute(self.pool())
                .await?;
        }
        Ok(Some(token))
    }
}

//! The staff-access log: every read of a person's message by a member of staff, an API
//! token, a webhook endpoint or the operator's CLI, appended to that person's hash chain
//! (see `parley_protocol::AccessEntry`). People fetch their own entries with a signed
//! `AccessLogQuery`. Every query of the access_log table is here.

use parley_protocol::{AccessEntry, AccessVia, ChainHead, Timestamp, MAX_ACCESS_ENTRIES};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::staff::StaffMember;
use super::tokens::ApiToken;
use super::Store;
use crate::error::{Error, Result};

/// Who read, as the person sees it: a number and a role, never a name or an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// `staff 3`, `token 2`, `webhook 1` or `operator`.
    pub pseudonym: String,
    /// `admin`, `agent`, `viewer`, `operator` or `integration`.
    pub role: String,
    /// How.
    pub via: AccessVia,
    /// The token's or webhook endpoint's name.
    pub channel: Option<String>,
}

impl Reader {
    /// A member of staff in the console.
    pub fn staff(member: &StaffMember) -> Self {
        Self {
            pseudonym: format!("staff {}", member.number),
            role: member.role.as_str().into(),
            via: AccessVia::Console,
            channel: None,
        }
    }

    /// A program using the API with a token.
    pub fn token(token: &ApiToken) -> Self {
        Self {
            pseudonym: format!("token {}", token.number),
            role: token.role.as_str().into(),
            via: AccessVia::Api,
            channel: Some(token.name.clone()),
        }
    }

    /// A webhook endpoint a message was delivered to.
    pub fn webhook(number: i64, name: &str) -> Self {
        Self {
            pseudonym: format!("webhook {number}"),
            role: "integration".into(),
            via: AccessVia::Webhook,
            channel: Some(name.to_owned()),
        }
    }

    /// The vendor's operator, with `parley-vendor` on the server.
    pub fn operator() -> Self {
        Self { pseudonym: "operator".into(), role: "operator".into(), via: AccessVia::Cli, channel: None }
    }
}

/// How often an append is retried when another instance appended to the same chain at
/// the same moment.
const APPEND_ATTEMPTS: usize = 8;

fn entry_row(r: &AnyRow) -> Result<AccessEntry> {
    let damaged = |what: &str, e: String| Error::Refused(format!("stored access entry {what}: {e}"));
    Ok(AccessEntry {
        seq: u64::try_from(r.try_get::<i64, _>("seq")?).map_err(|e| damaged("seq", e.to_string()))?,
        at: r
            .try_get::<String, _>("at")?
            .parse()
            .map_err(|e: parley_protocol::IdError| damaged("at", e.to_string()))?,
        message: r
            .try_get::<String, _>("message_id")?
            .parse()
            .map_err(|e: parley_protocol::IdError| damaged("message", e.to_string()))?,
        reader: r.try_get("reader")?,
        role: r.try_get("role")?,
        via: match r.try_get::<String, _>("via")?.as_str() {
            "console" => AccessVia::Console,
            "api" => AccessVia::Api,
            "webhook" => AccessVia::Webhook,
            "cli" => AccessVia::Cli,
            other => return Err(damaged("via", format!("{other:?}"))),
        },
        channel: r.try_get("channel")?,
        prev: r.try_get("prev")?,
        hash: r.try_get("hash")?,
    })
}

impl Store {
    /// Appends one entry per message read to its sender's chain. `reads` pairs each
    /// message id with its sender's DID.
    pub async fn log_reads(&self, reader: &Reader, reads: &[(String, String)]) -> Result<()> {
        let at = Timestamp::now();
        for (message, person) in reads {
            self.append_read(reader, person, message, at).await?;
        }
        Ok(())
    }

    async fn append_read(&self, reader: &Reader, person: &str, message: &str, at: Timestamp) -> Result<()> {
        let message: parley_protocol::MessageId =
            message.parse().map_err(|e| Error::Refused(format!("stored message id {message}: {e}")))?;
        for _ in 0..APPEND_ATTEMPTS {
            let mut tx = self.write_tx(self.pool()).await?;
            let last =
                sqlx::query("SELECT seq, hash FROM access_log WHERE person = $1 ORDER BY seq DESC LIMIT 1")
                    .bind(person)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (seq, prev) = match &last {
                Some(r) => (r.try_get::<i64, _>("seq")? as u64 + 1, Some(r.try_get::<String, _>("hash")?)),
                None => (1, None),
            };
            let entry = AccessEntry {
                seq,
                at,
                message,
                reader: reader.pseudonym.clone(),
                role: reader.role.clone(),
                via: reader.via,
                channel: reader.channel.clone(),
                prev,
                hash: String::new(),
            }
            .sealed();
            let inserted = sqlx::query(
                "INSERT INTO access_log (person, seq, at, message_id, reader, role, via, channel, prev, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(person)
            .bind(seq as i64)
            .bind(entry.at.to_string())
            .bind(entry.message.to_string())
            .bind(&entry.reader)
            .bind(&entry.role)
            .bind(entry.via.as_str())
            .bind(&entry.channel)
            .bind(&entry.prev)
            .bind(&entry.hash)
            .execute(&mut *tx)
            .await;
            match inserted {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(());
                }
                // Another instance took this place in the chain: read its end again.
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::Refused(format!("the access chain of {person} was too busy to append to")))
    }

    /// The person's entries after `after` (at most [`MAX_ACCESS_ENTRIES`]), and the
    /// chain's head.
    pub async fn access_log(
        &self,
        person: &str,
        after: Option<u64>,
    ) -> Result<(Vec<AccessEntry>, Option<ChainHead>)> {
        let mut tx = self.pool().begin().await?;
        let rows = sqlx::query(&format!(
            "SELECT * FROM access_log WHERE person = $1 AND seq > $2 ORDER BY seq LIMIT {MAX_ACCESS_ENTRIES}"
        ))
        .bind(person)
        .bind(after.unwrap_or(0) as i64)
        .fetch_all(&mut *tx)
        .await?;
        let head =
            sqlx::query("SELECT seq, hash FROM access_log WHERE person = $1 ORDER BY seq DESC LIMIT 1")
                .bind(person)
                .fetch_optional(&mut *tx)
                .await?;
        tx.commit().await?;
        let entries = rows.iter().map(entry_row).collect::<Result<Vec<_>>>()?;
        let head = match head {
            Some(r) => Some(ChainHead { seq: r.try_get::<i64, _>("seq")? as u64, hash: r.try_get("hash")? }),
            None => None,
        };
        Ok((entries, head))
    }
}

//! Staff accounts, their sessions and sign-in throttling: the console's people.
//!
//! Passwords are kept as Argon2id PHC strings. A session is a random token that lives in
//! the browser's cookie; the store keeps only its SHA-256, so a copy of the database
//! opens no session. Sessions and failed sign-ins are in the store, so every instance
//! behind a load balancer sees the same ones.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use parley_protocol::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use super::Store;
use crate::error::{Error, Result};

/// What a member of staff may do. Ordered: each role may do what the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads cases, alerts and NPS.
    Viewer,
    /// Also answers, assigns and changes cases.
    Agent,
    /// Also manages staff, alert rules, first-response targets and agreements.
    Admin,
}

impl Role {
    /// The stored form.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Agent => "agent",
            Self::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "viewer" => Ok(Self::Viewer),
            "agent" => Ok(Self::Agent),
            "admin" => Ok(Self::Admin),
            other => Err(Error::Invalid(format!("role: {other:?} is not one of admin, agent, viewer"))),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffMember {
    /// Stable id.
    pub id: String,
    /// How they sign in.
    pub email: String,
    /// Their number: what the people whose messages they read see ("staff 3"), never
    /// their email.
    pub number: i64,
    /// What they may do.
    pub role: Role,
    /// When the account was disabled; disabled accounts cannot sign in.
    pub disabled: Option<String>,
    /// When it was made.
    pub created: String,
}

fn staff_row(r: &AnyRow) -> Result<StaffMember> {
    Ok(StaffMember {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        number: r.try_get("number")?,
        role: r.try_get::<String, _>("role")?.parse()?,
        disabled: r.try_get("disabled")?,
        created: r.try_get("created")?,
    })
}

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(Error::Invalid(format!("password: at least {MIN_PASSWORD} characters")));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("password: {e}")))
}

fn check_email(email: &str) -> Result<String> {
    let email = email.trim().to_ascii_lowercase();
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        && !email.contains(char::is_whitespace);
    if !ok {
        return Err(Error::Invalid(format!("email: {email:?} is not an email address")));
    }
    Ok(email)
}

/// How long a session lives: idle for at most `idle`, and `absolute` in all.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Ended after this long without a request.
    pub idle: Duration,
    /// Ended this long after sign-in, whatever happens.
    pub absolute: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self { idle: Duration::minutes(30), absolute: Duration::hours(12) }
    }
}

/// A signed-in member of staff, as a request carries them.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub staff: StaffMember,
    /// The token every state-changing request must repeat (`X-CSRF-Token`, or the form's
    /// `csrf` field).
    pub csrf: String,
}

/// Failed sign-ins after which an account, or an address, waits.
pub const MAX_FAILURES: i64 = 5;
/// The window failed sign-ins are counted over, and how long the wait lasts.
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);

pub(crate) fn random_token() -> String {
    use argon2::password_hash::rand_core::RngCore;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The next number in `table`'s `number` column: members of staff, tokens and webhook
/// endpoints are named to people by number. Two admins adding at the same instant on
/// two instances collide on the column's uniqueness; one is asked to try again.
pub(crate) async fn next_number(conn: &mut sqlx::AnyConnection, table: &str) -> Result<i64> {
    let row = sqlx::query(&format!("SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) AS n FROM {table}"))
        .fetch_one(&mut *conn)
        .await?;
    Ok(row.try_get("n")?)
}

pub(crate) fn token_hash(token: &str) -> String {
    parley_protocol::digest_of(token.as_bytes())
}

impl Store {
    /// Adds a member of staff. Refuses an email already used.
    pub async fn add_staff(&self, email: &str, role: Role, password: &str) -> Result<StaffMember> {
        let email = check_email(email)?;
        let hash = hash_password(password)?;
        let mut tx = self.write_tx(self.pool()).await?;
        let number = next_number(&mut tx, "staff").await?;
        let member = StaffMember {
            id: uuid_v4(),
            email,
            number,
            role,
            disabled: None,
            created: Timestamp::now().to_string(),
        };
        sqlx::query(
            "INSERT INTO staff (id, email, number, role, password_hash, created) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&member.id)
        .bind(&member.email)
        .bind(number)
        .bind(role.as_str())
        .bind(&hash)
        .bind(&member.created)
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() && db.message().contains("number") => {
                Error::Invalid("another account was added at the same moment: try again".into())
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Invalid(format!("email: {} already has an account", member.email))
            }
            _ => e.into(),
        })?;
        tx.commit().await?;
        Ok(member)
    }

    /// Every member of staff, by email.
    pub async fn staff(&self) -> Result<Vec<StaffMember>> {
        let rows = sqlx::query("SELECT id, email, number, role, disabled, created FROM staff ORDER BY email")
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(staff_row).collect()
    }

    /// The member of staff with this email.
    pub async fn staff_member(&self, email: &str) -> Result<StaffMember> {
        let email = email.trim().to_ascii_lowercase();
        let row =
            sqlx::query("SELECT id, email, number, role, disabled, created FROM staff WHERE email = $1")
                .bind(&email)
                .fetch_optional(self.pool())
                .await?;
        row.as_ref().map(staff_row).transpose()?.ok_or(Error::NotFound { kind: "member of staff", id: email })
    }

    /// Disables an account and ends its sessions.
    pub async fn disable_staff(&self, email: &str) -> Result<StaffMember> {
        let member = self.staff_member(email).await?;
        let mut tx = self.write_tx(self.pool()).await?;
        sqlx::query("UPDATE staff SET disabled = $1 WHERE id = $2 AND disabled IS NULL")
            .bind(Timestamp::now().to_string())
            .bind(&member.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(&member.id).execute(&mut *tx).await?;
        tx.commit().await?;
        self.staff_member(email).await
    }

    /// Sets a new password and ends the account's sessions.
    pub async fn set_staff_password(&self, email: &str, password: &str) -> Result<()> {
        let member = self.staff_member(email).await?;
        let hash = hash_password(password)?;
        let mut tx = self.write_tx(self.pool()).await?;
        sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(&member.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(&member.id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks an email and password; the member of staff when they match an enabled
    /// account. A password is checked even for an unknown email, so the time taken
    /// does not tell which accounts exist.
    pub async fn check_password(&self, email: &str, password: &str) -> Result<Option<StaffMember>> {
        let email = email.trim().to_ascii_lowercase();
        let row = sqlx::query(
            "SELECT id, email, number, role, disabled, created, password_hash FROM staff WHERE email = $1",
        )
        .bind(&email)
        .fetch_optional(self.pool())
        .await?;
        // A hash of a random password stands in for an unknown account.
        let (member, hash) = match &row {
            Some(r) => (Some(staff_row(r)?), r.try_get::<String, _>("password_hash")?),
            None => {
                (None, DUMMY_HASH.get_or_init(|| hash_password(&random_token()).unwrap_or_default()).clone())
            }
        };
        let matches = PasswordHash::new(&hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        Ok(member.filter(|m| matches && m.disabled.is_none()))
    }

    /// Failed sign-ins for any of `keys` within the failure window.
    pub async fn recent_failures(&self, keys: &[&str]) -> Result<i64> {
        let since = Timestamp::from(OffsetDateTime::now_utc() - FAILURE_WINDOW).to_string();
        let mut most = 0;
        for key in keys {
            let n: i64 = sqlx::query(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sign_in_failures WHERE key = $1 AND at >= $2",
            )
            .bind(*key)
            .bind(&since)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
            most = most.max(n);
        }
        Ok(most)
    }

    /// Records a failed sign-in against each of `keys` (the account, the address).
    pub async fn record_failure(&self, keys: &[&str]) -> Result<()> {
        let now = Timestamp::now().to_string();
        let stale = Timestamp::from(OffsetDateTime::now_utc() - FAILURE_WINDOW).to_string();
        let mut tx = self.write_tx(self.pool()).await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE at < $1").bind(&stale).execute(&mut *tx).await?;
        for key in keys {
            sqlx::query("INSERT INTO sign_in_failures (key, at) VALUES ($1, $2)")
                .bind(*key)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Opens a session for a member of staff; returns its token (for the cookie) and
    /// CSRF token.
    pub async fn open_session(&self, staff: &StaffMember) -> Result<(String, String)> {
        let (token, csrf) = (random_token(), random_token());
        let now = Timestamp::now().to_string();
        sqlx::query(
            "INSERT INTO sessions (token_hash, staff_id, csrf, created, seen) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(token_hash(&token))
        .bind(&staff.id)
        .bind(&csrf)
        .bind(&now)
        .execute(self.pool())
        .await?;
        Ok((token, csrf))
    }

    /// The session a token opens, if it has not expired and its account is enabled;
    /// marks it used.
    pub async fn session(&self, token: &str, limits: SessionLimits) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT staff.id, staff.email, staff.number, staff.role, staff.disabled, staff.created, sessions.csrf,
                    sessions.created AS opened, sessions.seen
             FROM sessions JOIN staff ON staff.id = sessions.staff_id WHERE sessions.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let staff = staff_row(&row)?;
        let at = |column: &str| -> Result<OffsetDateTime> {
            let text: String = row.try_get(column)?;
            text.parse::<Timestamp>()
                .map(|t| t.get())
                .map_err(|e| Error::Refused(format!("session {column}: {e}")))
        };
        let now = OffsetDateTime::now_utc();
        let (opened, seen) = (at("opened")?, at("seen")?);
        if staff.disabled.is_some() || now - seen > limits.idle || now - opened > limits.absolute {
            self.close_session(token).await?;
            return Ok(None);
        }
        // Written at most once a minute: a page load is not a write.
        if now - seen > Duration::minutes(1) {
            sqlx::query("UPDATE sessions SET seen = $1 WHERE token_hash = $2")
                .bind(Timestamp::from(now).to_string())
                .bind(token_hash(token))
                .execute(self.pool())
                .await?;
        }
        Ok(Some(Session { staff, csrf: row.try_get("csrf")? }))
    }

    /// Ends a session.
    pub async fn close_session(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.pool())
            .await?;
        Ok(())
    }
}

static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// A random UUID (v4), as ids are written in this store.
pub(crate) fn uuid_v4() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

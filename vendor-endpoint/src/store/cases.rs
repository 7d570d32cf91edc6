//! Cases: every support request, feedback and intent a person sent is one, from the
//! moment it is stored until it is resolved — or until the person revokes the consent it
//! rests on, when it becomes a stub that says so. Every query of the cases and
//! case_notes tables is here; the writer opens cases in the transaction that stores
//! their message, so an acknowledged message always has its case.

use parley_protocol::{Body, Message, Timestamp, Verified};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::insights::{self, AlertRule, ScoreChange};
use super::rows;
use super::staff::uuid_v4;
use super::webhooks::{self, Event, EventType};
use super::{by_consent, Backend, Store};
use crate::error::{Error, Result};

/// Where a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseState {
    /// Nobody has looked at it yet.
    New,
    /// Someone is on it (or the person wrote again).
    Open,
    /// Answered; waiting on the person.
    Waiting,
    /// Done.
    Resolved,
    /// Its content was deleted at the person's request or at the end of retention.
    Deleted,
}

impl CaseState {
    /// The states staff may set.
    pub const SETTABLE: [CaseState; 4] = [Self::New, Self::Open, Self::Waiting, Self::Resolved];

    /// The stored form.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Open => "open",
            Self::Waiting => "waiting",
            Self::Resolved => "resolved",
            Self::Deleted => "deleted",
        }
    }
}

impl std::str::FromStr for CaseState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        [Self::New, Self::Open, Self::Waiting, Self::Resolved, Self::Deleted]
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::Invalid(format!("state: {s:?} is not one of new, open, waiting, resolved")))
    }
}

/// How urgent a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// Can wait.
    Low,
    /// The default.
    Normal,
    /// Soon.
    High,
    /// Now.
    Urgent,
}

impl Priority {
    /// Every priority.
    pub const ALL: [Priority; 4] = [Self::Low, Self::Normal, Self::High, Self::Urgent];

    /// The stored form.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }
}

impl std::str::FromStr for Priority {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| Error::Invalid(format!("priority: {s:?} is not one of low, normal, high, urgent")))
    }
}

/// A case as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// The id of the message that opened it.
    pub id: String,
    /// `SupportRequest`, `Feedback` or `Intent`.
    pub kind: String,
    /// The person's pairwise DID with this vendor.
    pub sender: String,
    /// The consent it rests on.
    pub consent_id: Option<String>,
    /// Where it is.
    pub state: CaseState,
    /// How urgent.
    pub priority: Priority,
    /// Who owns it (email), if anyone.
    pub assignee: Option<String>,
    /// The feedback score.
    pub score: Option<i64>,
    /// The product's model, when the person shared it.
    pub product_model: Option<String>,
    /// One line; absent once deleted.
    pub title: Option<String>,
    /// When it arrived.
    pub received: String,
    /// When it last changed.
    pub updated: String,
    /// When the vendor first answered.
    pub first_response: Option<String>,
    /// The first-response deadline, while unanswered.
    pub due: Option<String>,
    /// Whether that deadline has passed unanswered.
    pub overdue: bool,
    /// When its content was deleted.
    pub deleted: Option<String>,
    /// What deleted it: the revocation's message id, or `retention`.
    pub deleted_by: Option<String>,
}

const CASE_COLUMNS: &str = "cases.id, cases.kind, cases.sender, cases.consent_id, cases.state, cases.priority,
    staff.email AS assignee_email, cases.score, cases.product_model, cases.title, cases.received, cases.updated,
    cases.first_response, cases.due, cases.deleted, cases.deleted_by";

fn case_row(r: &AnyRow, now: &str) -> Result<Case> {
    let due: Option<String> = r.try_get("due")?;
    let first_response: Option<String> = r.try_get("first_response")?;
    let deleted: Option<String> = r.try_get("deleted")?;
    Ok(Case {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        sender: r.try_get("sender")?,
        consent_id: r.try_get("consent_id")?,
        state: r.try_get::<String, _>("state")?.parse()?,
        priority: r.try_get::<String, _>("priority")?.parse()?,
        assignee: r.try_get("assignee_email")?,
        score: r.try_get("score")?,
        product_model: r.try_get("product_model")?,
        title: r.try_get("title")?,
        received: r.try_get("received")?,
        updated: r.try_get("updated")?,
        overdue: first_response.is_none() && deleted.is_none() && due.as_deref().is_some_and(|d| d < now),
        first_response,
        due,
        deleted,
        deleted_by: r.try_get("deleted_by")?,
    })
}

/// Which cases to list: every filter given must hold. Newest first, `limit` at a time,
/// after the case `after` (keyset paging: a deep page costs what the first does).
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// In this state.
    pub state: Option<CaseState>,
    /// Of this message type.
    pub kind: Option<String>,
    /// Feedback in this score band.
    pub band: Option<ScoreBand>,
    /// About this product model.
    pub product: Option<String>,
    /// Owned by this member of staff (email); `Some("")` for nobody.
    pub assignee: Option<String>,
    /// Only those past their first-response deadline.
    pub overdue: bool,
    /// Containing every word (case-insensitive).
    pub text: Option<String>,
    /// At most this many (1–200; 50 when 0).
    pub limit: u32,
    /// The id of the last case of the previous page.
    pub after: Option<String>,
}

/// The NPS score bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreBand {
    /// 0–6.
    Detractor,
    /// 7–8.
    Passive,
    /// 9–10.
    Promoter,
}

impl ScoreBand {
    /// The band a score (0–10) is in.
    pub fn of(score: i64) -> Self {
        match score {
            9.. => Self::Promoter,
            7..=8 => Self::Passive,
            _ => Self::Detractor,
        }
    }

    /// The scores in the band.
    pub fn range(&self) -> (i64, i64) {
        match self {
            Self::Detractor => (0, 6),
            Self::Passive => (7, 8),
            Self::Promoter => (9, 10),
        }
    }
}

impl std::str::FromStr for ScoreBand {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "detractor" => Ok(Self::Detractor),
            "passive" => Ok(Self::Passive),
            "promoter" => Ok(Self::Promoter),
            other => {
                Err(Error::Invalid(format!("band: {other:?} is not one of detractor, passive, promoter")))
            }
        }
    }
}

/// What a case holds besides its list line: the whole thread, the consent it rests on,
/// the product shared, internal notes and alerts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseDetail {
    /// The case.
    #[serde(flatten)]
    pub case: Case,
    /// Every message, oldest first: the person's (signed, as received) and the vendor's.
    pub thread: Vec<ThreadEntry>,
    /// The consent, in the terms it was agreed.
    pub consent: Option<CaseConsent>,
    /// The product details the person shared, if any.
    pub product: Option<serde_json::Value>,
    /// Internal notes, never sent.
    pub notes: Vec<Note>,
    /// The alert rules it raised.
    pub alerts: Vec<String>,
}

impl CaseDetail {
    /// The person's messages it shows, with their sender: what the access log records
    /// when someone opens it.
    pub fn person_reads(&self) -> Vec<(String, String)> {
        self.thread
            .iter()
            .filter(|t| t.from == "person")
            .map(|t| (t.id.clone(), self.case.sender.clone()))
            .collect()
    }
}

/// One message in a case's thread.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadEntry {
    /// The message id.
    pub id: String,
    /// `person` or `vendor`.
    pub from: &'static str,
    /// Its type.
    pub kind: String,
    /// When it was received (person) or made (vendor).
    pub at: String,
    /// The signed document.
    pub document: serde_json::Value,
    /// Who at the vendor sent it (an email, or `token NAME`).
    pub author: Option<String>,
    /// When the person pulled it (vendor messages).
    pub pulled: Option<String>,
}

/// The consent a case rests on.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseConsent {
    /// Its id.
    pub id: String,
    /// The roster agreement.
    pub agreement: String,
    /// Why the person shares.
    pub purpose: String,
    /// What may be shared.
    pub categories: Vec<String>,
    /// Days the vendor may keep it.
    pub retention_days: i64,
    /// `agreed`, `revoked`, …
    pub state: String,
    /// When it was revoked.
    pub revoked: Option<String>,
}

/// An internal note on a case.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// Its id.
    pub id: String,
    /// Who wrote it (email).
    pub author: Option<String>,
    /// What it says.
    pub text: String,
    /// When.
    pub created: String,
}

/// Changes staff make to a case.
#[derive(Debug, Clone, Default)]
pub struct CaseChanges {
    /// A new state.
    pub state: Option<CaseState>,
    /// A new priority.
    pub priority: Option<Priority>,
    /// A new owner (email), or `Some(None)` for nobody.
    pub assignee: Option<Option<String>>,
}

/// What a new case needs from the message that opens it.
#[derive(Debug, Clone)]
pub(crate) struct NewCase {
    pub kind: &'static str,
    pub score: Option<i64>,
    pub product_model: Option<String>,
    pub title: String,
    pub search_text: String,
}

impl NewCase {
    /// The case a message opens, for the types that open one.
    pub(crate) fn of(m: &Verified<Message>) -> Option<Self> {
        let (kind, title, words, score, product) = match &m.body {
            Body::SupportRequest(b) => (
                "SupportRequest",
                b.subject.clone(),
                vec![b.subject.clone(), b.text.clone()],
                None,
                &b.product,
            ),
            Body::Feedback(b) => (
                "Feedback",
                b.text.clone().unwrap_or_else(|| format!("Score {}", b.score)),
                [b.text.clone().unwrap_or_default()]
                    .into_iter()
                    .chain(b.suggestions.iter().cloned())
                    .collect(),
                Some(b.score as i64),
                &b.product,
            ),
            Body::Intent(b) => (
                "Intent",
                b.what.clone(),
                [b.what.clone()].into_iter().chain(b.constraints.iter().cloned()).collect(),
                None,
                &None,
            ),
            _ => return None,
        };
        let mut words = words;
        if let Some(p) = product {
            words.push(p.name.clone());
            words.extend(p.model.clone());
        }
        Some(Self {
            kind,
            score,
            product_model: product.as_ref().and_then(|p| p.model.clone()),
            title: title.chars().take(160).collect(),
            search_text: words.join(" ").to_lowercase(),
        })
    }
}

/// A case to open: the stored message that opens it, and what the case holds.
pub(crate) struct Opening<'a> {
    pub id: &'a str,
    pub sender: &'a str,
    pub consent: Option<&'a str>,
    pub case: &'a NewCase,
}

/// Opens the cases for stored messages, raising the alerts their rules call for; in the
/// writer's transaction, a few multi-row statements for a whole batch. Returns each
/// case's `alert.raised` event, when one was, in the order of `openings`.
pub(crate) async fn open_all_in(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    openings: &[Opening<'_>],
    rules: &[AlertRule],
    received: &str,
) -> Result<Vec<Option<Event>>> {
    let at: Option<Timestamp> = received.parse().ok();
    let raised: Vec<(&Opening, Vec<&AlertRule>, Option<String>)> =
        openings
            .iter()
            .map(|o| {
                let raised: Vec<&AlertRule> = rules.iter().filter(|r| r.matches(o.case)).collect();
                let due =
                    raised.iter().map(|r| r.first_response_hours).min().zip(at).map(|(hours, at)| {
                        Timestamp::from(at.get() + time::Duration::hours(hours)).to_string()
                    });
                (o, raised, due)
            })
            .collect();
    for chunk in rows::chunks(&raised) {
        let sql = format!(
            "INSERT INTO cases (id, kind, sender, consent_id, state, priority, score, product_model, title,
             search_text, received, updated, due) VALUES {}",
            rows::values(backend, chunk.len(), 13)
        );
        let mut query = sqlx::query(&sql);
        for (o, _, due) in chunk {
            query = query
                .bind(o.id)
                .bind(o.case.kind)
                .bind(o.sender)
                .bind(o.consent)
                .bind(CaseState::New.as_str())
                .bind(Priority::Normal.as_str())
                .bind(o.case.score)
                .bind(&o.case.product_model)
                .bind(&o.case.title)
                .bind(&o.case.search_text)
                .bind(received)
                .bind(received)
                .bind(due);
        }
        query.execute(&mut **tx).await?;
    }
    let alerts: Vec<(&str, &str)> =
        raised.iter().flat_map(|(o, rules, _)| rules.iter().map(|r| (o.id, r.id.as_str()))).collect();
    for chunk in rows::chunks(&alerts) {
        let sql = format!(
            "INSERT INTO alerts (case_id, rule_id, raised) VALUES {}",
            rows::values(backend, chunk.len(), 3)
        );
        let mut query = sqlx::query(&sql);
        for (case, rule) in chunk {
            query = query.bind(*case).bind(*rule).bind(received);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(raised
        .into_iter()
        .map(|(o, raised, due)| {
            (!raised.is_empty()).then(|| Event {
                kind: EventType::AlertRaised,
                data: json!({
                    "caseId": o.id,
                    "kind": o.case.kind,
                    "title": o.case.title,
                    "score": o.case.score,
                    "productModel": o.case.product_model,
                    "rules": raised.iter().map(|r| json!({ "id": r.id, "name": r.name })).collect::<Vec<_>>(),
                    "due": due,
                }),
                consent_id: o.consent.map(str::to_owned),
                read: Some((o.id.to_owned(), o.sender.to_owned())),
            })
        })
        .collect())
}

/// A `case.updated` event with the case as it now stands, in the caller's transaction.
pub(crate) async fn case_updated_in(conn: &mut sqlx::AnyConnection, id: &str) -> Result<Event> {
    let r = sqlx::query(
        "SELECT cases.kind, cases.state, cases.priority, cases.consent_id, staff.email AS assignee
         FROM cases LEFT JOIN staff ON staff.id = cases.assignee WHERE cases.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Event {
        kind: EventType::CaseUpdated,
        data: json!({
            "caseId": id,
            "kind": r.try_get::<String, _>("kind")?,
            "state": r.try_get::<String, _>("state")?,
            "priority": r.try_get::<String, _>("priority")?,
            "assignee": r.try_get::<Option<String>, _>("assignee")?,
        }),
        consent_id: r.try_get("consent_id")?,
        read: None,
    })
}

/// A new message in a case's thread from the person reopens it; returns the
/// `case.updated` event when it did.
pub(crate) async fn reopen_in(tx: &mut Transaction<'_, Any>, thread: &str) -> Result<Option<Event>> {
    let reopened = sqlx::query(
        "UPDATE cases SET state = 'open', updated = $1 WHERE id = $2 AND state IN ('waiting', 'resolved')",
    )
    .bind(Timestamp::now().to_string())
    .bind(thread)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(if reopened == 1 { Some(case_updated_in(tx, thread).await?) } else { None })
}

/// Turns the cases under a consent into stubs: their text, product, score, notes and
/// alerts go, in the transaction that deletes the messages, and before it: a case is
/// found through the message that opened it (same id, same consent), so it goes exactly
/// when that message does, and the cases need no index of their own ordered by consent
/// (one more B-tree page rewritten for every message received). What stays says when,
/// and by what (the revocation's id, or `retention`).
pub(crate) async fn delete_under_consent_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    consent_id: &str,
    before: Option<&str>,
    by: &str,
) -> Result<()> {
    let under = by_consent::messages_under(backend);
    let which = format!(
        "id IN (SELECT id FROM messages WHERE {under} AND ($2 IS NULL OR received < $2)) AND deleted IS NULL"
    );
    let scored = sqlx::query(&format!(
        "SELECT received, product_model, score FROM cases WHERE {which} AND score IS NOT NULL"
    ))
    .bind(consent_id)
    .bind(before)
    .fetch_all(&mut *conn)
    .await?;
    let mut leaving = Vec::with_capacity(scored.len());
    for r in &scored {
        let received: String = r.try_get("received")?;
        let model: Option<String> = r.try_get("product_model")?;
        leaving.push(ScoreChange::leaving(&received, model.as_deref(), r.try_get("score")?));
    }
    insights::count_scores_in(conn, leaving).await?;
    for table in ["case_notes", "alerts"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE case_id IN (SELECT id FROM cases WHERE {which})"))
            .bind(consent_id)
            .bind(before)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(&format!(
        "UPDATE cases SET state = 'deleted', title = NULL, search_text = NULL, product_model = NULL, score = NULL,
         due = NULL, deleted = $3, deleted_by = $4, updated = $3 WHERE {which}"
    ))
    .bind(consent_id)
    .bind(before)
    .bind(Timestamp::now().to_string())
    .bind(by)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// Cases matching `filter`, newest first.
    pub async fn cases(&self, filter: &CaseFilter) -> Result<Vec<Case>> {
        let mut q = Conditions::default();
        match filter.state {
            Some(state) => q.add("cases.state = ?", [Bind::Text(state.as_str().into())]),
            // Deleted stubs are listed only when asked for.
            None => q.add("cases.state <> 'deleted'", []),
        }
        if let Some(kind) = &filter.kind {
            q.add("cases.kind = ?", [Bind::Text(kind.clone())]);
        }
        if let Some(band) = filter.band {
            let (low, high) = band.range();
            q.add("cases.score BETWEEN ? AND ?", [Bind::Int(low), Bind::Int(high)]);
        }
        if let Some(model) = &filter.product {
            q.add("cases.product_model = ?", [Bind::Text(model.clone())]);
        }
        match filter.assignee.as_deref() {
            Some("") => q.add("cases.assignee IS NULL", []),
            Some(email) => q.add("staff.email = ?", [Bind::Text(email.trim().to_ascii_lowercase())]),
            None => {}
        }
        let now = Timestamp::now().to_string();
        if filter.overdue {
            q.add("cases.first_response IS NULL AND cases.due < ?", [Bind::Text(now.clone())]);
        }
        for word in filter.text.as_deref().unwrap_or("").split_whitespace().take(8) {
            let pattern = format!("%{}%", word.to_lowercase().replace(['%', '_', '\\'], ""));
            q.add("cases.search_text LIKE ?", [Bind::Text(pattern)]);
        }
        if let Some(after) = &filter.after {
            let received: String = sqlx::query("SELECT received FROM cases WHERE id = $1")
                .bind(after)
                .fetch_optional(self.pool())
                .await?
                .ok_or_else(|| Error::Invalid(format!("after: there is no case {after}")))?
                .try_get("received")?;
            q.add(
                "(cases.received < ? OR (cases.received = ? AND cases.id < ?))",
                [Bind::Text(received.clone()), Bind::Text(received), Bind::Text(after.clone())],
            );
        }
        let limit = match filter.limit {
            0 => 50,
            n => n.min(200),
        };
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases LEFT JOIN staff ON staff.id = cases.assignee WHERE {}
             ORDER BY cases.received DESC, cases.id DESC LIMIT {limit}",
            q.conditions.join(" AND ")
        );
        let mut query = sqlx::query(&sql);
        for b in q.binds {
            query = match b {
                Bind::Text(t) => query.bind(t),
                Bind::Int(i) => query.bind(i),
            };
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(|r| case_row(r, &now)).collect()
    }

    /// One case, as its list line.
    pub async fn case(&self, id: &str) -> Result<Case> {
        let row = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases LEFT JOIN staff ON staff.id = cases.assignee WHERE cases.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        let now = Timestamp::now().to_string();
        row.map(|r| case_row(&r, &now))
            .transpose()?
            .ok_or_else(|| Error::NotFound { kind: "case", id: id.into() })
    }

    /// One case with its thread, consent, product, notes and alerts.
    pub async fn case_detail(&self, id: &str) -> Result<CaseDetail> {
        let case = self.case(id).await?;
        let mut thread = Vec::new();
        let mine = sqlx::query(
            "SELECT id, kind, received, document FROM messages WHERE id = $1 OR thread_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        let mut ids = Vec::new();
        for r in &mine {
            let mid: String = r.try_get("id")?;
            ids.push(mid.clone());
            thread.push(ThreadEntry {
                id: mid,
                from: "person",
                kind: r.try_get("kind")?,
                at: r.try_get("received")?,
                document: super::parse_document(r.try_get("document")?)?,
                author: None,
                pulled: None,
            });
        }
        if !ids.is_empty() {
            let sql = format!(
                "SELECT outbox.id, outbox.kind, outbox.created, outbox.document, outbox.pulled,
                        COALESCE(staff.email, 'token ' || api_tokens.name) AS author
                 FROM outbox LEFT JOIN staff ON staff.id = outbox.author LEFT JOIN api_tokens ON api_tokens.id = outbox.author
                 WHERE outbox.in_reply_to IN ({}) ORDER BY outbox.seq",
                (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
            );
            let mut query = sqlx::query(&sql);
            for mid in &ids {
                query = query.bind(mid);
            }
            for r in query.fetch_all(self.pool()).await? {
                thread.push(ThreadEntry {
                    id: r.try_get("id")?,
                    from: "vendor",
                    kind: r.try_get("kind")?,
                    at: r.try_get("created")?,
                    document: super::parse_document(r.try_get("document")?)?,
                    author: r.try_get("author")?,
                    pulled: r.try_get("pulled")?,
                });
            }
        }
        thread.sort_by(|a, b| a.at.cmp(&b.at));
        let product = thread.first().and_then(|t| t.document["body"].get("product").cloned());
        let consent = match &case.consent_id {
            None => None,
            Some(cid) => sqlx::query(
                "SELECT id, agreement, purpose, categories, retention_days, state, revoked FROM consents WHERE id = $1",
            )
            .bind(cid)
            .fetch_optional(self.pool())
            .await?
            .map(|r| -> Result<CaseConsent> {
                let categories: String = r.try_get("categories")?;
                Ok(CaseConsent {
                    id: r.try_get("id")?,
                    agreement: r.try_get("agreement")?,
                    purpose: r.try_get("purpose")?,
                    categories: serde_json::from_str(&categories).unwrap_or_default(),
                    retention_days: r.try_get("retention_days")?,
                    state: r.try_get("state")?,
                    revoked: r.try_get("revoked")?,
                })
            })
            .transpose()?,
        };
        let notes = sqlx::query(
            "SELECT case_notes.id, COALESCE(staff.email, 'token ' || api_tokens.name) AS author, case_notes.text,
                    case_notes.created
             FROM case_notes LEFT JOIN staff ON staff.id = case_notes.author
             LEFT JOIN api_tokens ON api_tokens.id = case_notes.author
             WHERE case_notes.case_id = $1 ORDER BY case_notes.created",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(Note {
                id: r.try_get("id")?,
                author: r.try_get("author")?,
                text: r.try_get("text")?,
                created: r.try_get("created")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let alerts = sqlx::query(
            "SELECT alert_rules.name FROM alerts JOIN alert_rules ON alert_rules.id = alerts.rule_id
             WHERE alerts.case_id = $1 ORDER BY alert_rules.name",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.try_get("name").map_err(Error::from))
        .collect::<Result<Vec<String>>>()?;
        Ok(CaseDetail { case, thread, consent, product, notes, alerts })
    }

    /// Changes a case's state, priority or owner.
    pub async fn update_case(&self, id: &str, changes: &CaseChanges) -> Result<Case> {
        let case = self.case(id).await?;
        if case.state == CaseState::Deleted {
            return Err(Error::Invalid(format!("case {id} was deleted at the person's request")));
        }
        if changes.state == Some(CaseState::Deleted) {
            return Err(Error::Invalid(
                "state: only the person's revocation or retention deletes a case".into(),
            ));
        }
        let assignee = match &changes.assignee {
            Some(Some(email)) => {
                let member = self.staff_member(email).await.map_err(|e| match e {
                    // The case exists; the field names someone who does not.
                    Error::NotFound { .. } => Error::Invalid(format!("assignee: no member of staff {email}")),
                    e => e,
                })?;
                if member.disabled.is_some() {
                    return Err(Error::Invalid(format!("assignee: {} is disabled", member.email)));
                }
                Some(Some(member.id))
            }
            Some(None) => Some(None),
            None => None,
        };
        let now = Timestamp::now().to_string();
        let mut tx = self.write_tx(self.pool()).await?;
        sqlx::query(
            "UPDATE cases SET state = COALESCE($1, state), priority = COALESCE($2, priority),
             assignee = CASE WHEN $3 = 1 THEN $4 ELSE assignee END, updated = $5 WHERE id = $6",
        )
        .bind(changes.state.map(|s| s.as_str()))
        .bind(changes.priority.map(|p| p.as_str()))
        .bind(i64::from(assignee.is_some()))
        .bind(assignee.flatten())
        .bind(&now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let event = case_updated_in(&mut tx, id).await?;
        webhooks::queue_in(&mut tx, &[event]).await?;
        tx.commit().await?;
        self.case(id).await
    }

    /// Adds an internal note to a case.
    pub async fn add_note(&self, id: &str, author: &str, text: &str) -> Result<Note> {
        let case = self.case(id).await?;
        if case.state == CaseState::Deleted {
            return Err(Error::Invalid(format!("case {id} was deleted at the person's request")));
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > parley_protocol::MAX_TEXT {
            return Err(Error::Invalid("text: a note is 1 to 8000 characters".into()));
        }
        let note = Note {
            id: uuid_v4(),
            author: None,
            text: text.to_owned(),
            created: Timestamp::now().to_string(),
        };
        sqlx::query(
            "INSERT INTO case_notes (id, case_id, author, text, created) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&note.id)
        .bind(id)
        .bind(author)
        .bind(&note.text)
        .bind(&note.created)
        .execute(self.pool())
        .await?;
        Ok(note)
    }

    /// Records the vendor's answer on the case it answers: the first response (which
    /// closes its alerts), and the case now waits on the person.
    pub(crate) async fn answered(&self, case_id: &str) -> Result<()> {
        let now = Timestamp::now().to_string();
        let mut tx = self.write_tx(self.pool()).await?;
        let changed = sqlx::query(
            "UPDATE cases SET first_response = COALESCE(first_response, $1), due = NULL, state = 'waiting', updated = $1
             WHERE id = $2 AND state <> 'deleted'",
        )
        .bind(&now)
        .bind(case_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 1 {
            let event = case_updated_in(&mut tx, case_id).await?;
            webhooks::queue_in(&mut tx, &[event]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The id of the deletion receipt that answered a revocation, once signed.
    pub async fn deletion_receipt_of(&self, revocation: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT response FROM messages WHERE id = $1")
            .bind(revocation)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let response: String = row.try_get("response")?;
        let answer: serde_json::Value = serde_json::from_str(&response).unwrap_or_default();
        Ok(answer["answer"]["id"].as_str().map(str::to_owned))
    }

    /// The case a message belongs to: its own, or the one its thread started.
    pub(crate) async fn case_of(&self, message_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT COALESCE(thread_id, id) AS case_id FROM messages WHERE id = $1")
            .bind(message_id)
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let id: String = row.try_get("case_id")?;
        let exists =
            sqlx::query("SELECT id FROM cases WHERE id = $1").bind(&id).fetch_optional(self.pool()).await?;
        Ok(exists.map(|_| id))
    }
}

/// A value bound to a query built from filters.
enum Bind {
    Text(String),
    Int(i64),
}

/// The conditions of a query built from filters, numbered `$1…` in the order added.
#[derive(Default)]
struct Conditions {
    conditions: Vec<String>,
    binds: Vec<Bind>,
}

impl Conditions {
    /// Adds `sql`, whose `?`s stand for `values` in order.
    fn add<const N: usize>(&mut self, sql: &str, values: [Bind; N]) {
        let mut out = String::new();
        let mut values = values.into_iter();
        for part in sql.split('?').enumerate() {
            if part.0 > 0 {
                if let Some(v) = values.next() {
                    self.binds.push(v);
                    out.push_str(&format!("${}", self.binds.len()));
                }
            }
            out.push_str(part.1);
        }
        self.conditions.push(out);
    }
}

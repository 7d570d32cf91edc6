//! Group commit: one task owns every write that acknowledges a person's message. Requests
//! queue on a channel; the writer takes whatever has queued, runs it all in one
//! transaction, commits once (one fsync for the batch), and only then answers each
//! request. A receipt therefore always follows a durable commit, and durability costs one
//! commit per batch rather than one per message.
//!
//! Replay and consent checks run inside the same transaction as the insert, so a message
//! can neither slip in twice nor land under a consent revoked a moment before.

use std::sync::Arc;

use parley_protocol::{Category, MessageId, Purpose, Timestamp};
use serde_json::json;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Row, Transaction};
use tokio::sync::{mpsc, oneshot};

use super::cases::{self, NewCase};
use super::insights::{self, enabled_rules_in, AlertRule, ScoreChange};
use super::webhooks::{self, Event, EventType};
use super::{by_consent, consent_row, rows, Backend, ConsentRow, Store, StoredConsent, CONSENT_COLUMNS};
use crate::consent::{consent_refusal, ConsentNeed, ConsentRefusal};
use crate::error::{Error, Result};

/// Most requests committed in one transaction.
const MAX_BATCH: usize = 256;

/// A received message, ready to store.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage {
    pub id: String,
    pub kind: &'static str,
    pub sender: String,
    pub consent_id: Option<String>,
    pub thread_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub score: Option<i64>,
    pub digest: String,
    pub document: String,
    /// The case it opens (support requests, feedback, intents).
    pub case: Option<NewCase>,
}

/// A new consent, from a `ConsentGrant`.
#[derive(Debug, Clone)]
pub(crate) struct NewConsent {
    pub agreement: String,
    pub purpose: Purpose,
    pub categories: Vec<Category>,
    pub retention_days: i64,
    /// `agreed`, `alternative` or `refused`.
    pub state: &'static str,
}

/// Builds the signed answer to a revocation once the deleted ids are known. `Fn`, not
/// `FnOnce`: a job may be applied again if its batch has to be retried.
pub(crate) type DeletionAnswer = Arc<dyn Fn(Vec<MessageId>) -> String + Send + Sync>;

pub(crate) enum Job {
    /// A message under a consent (intent, feedback, support request, …): `response` is
    /// sent, `kept` is what the store keeps of it (see `crate::receipts`).
    Accept { message: NewMessage, response: String, kept: String, need: ConsentNeed },
    /// A consent grant, with the vendor's answer.
    Grant { message: NewMessage, response: String, consent: NewConsent },
    /// A revocation: delete everything under the consent, answer with what went.
    Revoke { message: NewMessage, answer: DeletionAnswer },
}

impl Job {
    fn message(&self) -> &NewMessage {
        match self {
            Job::Accept { message, .. } | Job::Grant { message, .. } | Job::Revoke { message, .. } => message,
        }
    }
}

/// What became of a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Stored now; the response to send.
    Stored(String),
    /// Stored before with the same content; what the store kept of the original
    /// response (the whole of it, or a kept receipt to rebuild it from).
    Duplicate(String),
    /// A revocation committed (now, or before a crash): the deletion receipt is signed
    /// once the deleted content is erased from disk (see [`commit_batch`]).
    Revoked { message_id: String, deleted: Vec<MessageId> },
    /// The id was used before for different content.
    Conflict,
    /// The consent does not allow it.
    Consent(ConsentRefusal),
}

type Request = (Job, oneshot::Sender<Result<Outcome>>);

/// The handle request handlers use; cheap to clone.
#[derive(Clone)]
pub(crate) struct Writer {
    tx: mpsc::Sender<Request>,
}

impl Writer {
    /// Starts the writer task over `store`.
    ///
    /// The writer runs on a thread and runtime of its own. On the request handlers'
    /// runtime each of a batch's ~15 statements, answered by the database, woke the
    /// writer behind every request queued on that runtime (tokio looks at wake-ups from
    /// other threads every 61 tasks): under a backlog, a batch's work took 130–400 µs a
    /// message instead of ~40, and one slow commit grew into half a second of queued
    /// requests (BENCHMARKS.md, twelfth session). On its own runtime a wake-up is
    /// answered as soon as the kernel gives the thread a core.
    pub fn start(store: Store, metrics: Arc<crate::metrics::Metrics>) -> Self {
        let (tx, rx) = mpsc::channel::<Request>(4 * MAX_BATCH);
        let work = run(Arc::new(store), rx, metrics);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        match runtime {
            Ok(runtime) => {
                let spawned = std::thread::Builder::new()
                    .name("parley-writer".into())
                    .spawn(move || runtime.block_on(work));
                if let Err(e) = spawned {
                    tracing::error!("cannot start the store writer's thread: {e}");
                }
            }
            // Without a runtime of its own (the system refused a thread's resources)
            // it shares the caller's, slower under load but correct.
            Err(e) => {
                tracing::warn!("the store writer shares the request runtime: {e}");
                tokio::spawn(work);
            }
        }
        Self { tx }
    }

    /// Submits a job and waits until it is committed (or refused).
    pub async fn submit(&self, job: Job) -> Result<Outcome> {
        let (done, wait) = oneshot::channel();
        self.tx.send((job, done)).await.map_err(|_| Error::Refused("the store writer has stopped".into()))?;
        wait.await.map_err(|_| Error::Refused("the store writer has stopped".into()))?
    }
}

/// The writer's connection, held from one batch to the next. Taken from the pool for
/// each batch instead, it cost a round trip to the database on the way out and another
/// on the way back, in a task the pool spawns that waited behind every request queued on
/// the same thread: under load a one-message batch waited 19–80 ms for its connection
/// while requests piled up behind it (BENCHMARKS.md, eleventh session).
#[derive(Default)]
struct Held {
    conn: Option<PoolConnection<Any>>,
    /// When it last ran a batch.
    used: Option<std::time::Instant>,
}

/// A connection unused this long is pinged before its next batch, as the pool did for
/// every batch: the server may have restarted or a proxy dropped it while it sat idle,
/// and a dead connection would fail the first request after a quiet spell. Under load
/// batches follow each other closer than this and pay nothing.
const CHECK_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(1);

impl Held {
    async fn get(&mut self, store: &Store) -> Result<&mut AnyConnection> {
        use sqlx::Connection;
        let idle = self.used.is_none_or(|used| used.elapsed() > CHECK_AFTER_IDLE);
        if let (Some(conn), true) = (self.conn.as_mut(), idle) {
            if conn.ping().await.is_err() {
                self.discard();
            }
        }
        if self.conn.is_none() {
            self.conn = Some(store.writes().acquire().await?);
        }
        self.used = Some(std::time::Instant::now());
        self.conn.as_deref_mut().ok_or_else(|| Error::Refused("the writer has no connection".into()))
    }

    /// Closes the connection after a failure: a failed COMMIT (a full disk, a lost
    /// server) can leave it inside its transaction, refusing every later BEGIN
    /// ("non-zero transaction depth"), so the next batch opens a fresh one.
    fn discard(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}

async fn run(store: Arc<Store>, mut rx: mpsc::Receiver<Request>, metrics: Arc<crate::metrics::Metrics>) {
    let mut conn = Held::default();
    // Closing the store waits for every connection to come back: the held one is let go
    // at once, and later batches fail as the store is closed.
    let closed = store.writes().close_event();
    tokio::pin!(closed);
    let mut batch: Vec<Request> = Vec::with_capacity(MAX_BATCH);
    loop {
        let first = tokio::select! {
            biased;
            () = &mut closed, if conn.conn.is_some() => {
                conn.conn = None;
                continue;
            }
            first = rx.recv() => match first {
                Some(first) => first,
                None => break,
            },
        };
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let jobs = batch.len();
        let committed = commit_batch(&store, &mut conn, std::mem::take(&mut batch)).await;
        metrics.batch(jobs, committed);
    }
}

/// Commits the batch in one transaction. If that fails as a whole (a lost connection, a
/// constraint no check foresaw), each request is retried alone, so one bad request cannot
/// fail its neighbours. Returns whether the batch's own transaction committed.
async fn commit_batch(store: &Store, conn: &mut Held, batch: Vec<Request>) -> bool {
    let (jobs, senders): (Vec<Job>, Vec<_>) = batch.into_iter().unzip();
    match process(store, conn, &jobs).await {
        Ok(outcomes) => {
            let outcomes = finish_revocations(store, conn, &jobs, outcomes).await;
            for (outcome, done) in outcomes.into_iter().zip(senders) {
                let _ = done.send(outcome);
            }
            true
        }
        Err(e) if jobs.len() == 1 => {
            let _ = senders.into_iter().next().map(|done| done.send(Err(e)));
            false
        }
        Err(_) => {
            for (job, done) in jobs.iter().zip(senders) {
                let alone = match process(store, conn, std::slice::from_ref(job)).await {
                    Ok(o) => finish_revocations(store, conn, std::slice::from_ref(job), o).await.remove(0),
                    Err(e) => Err(e),
                };
                let _ = done.send(alone);
            }
            false
        }
    }
}

/// Signs the deletion receipts of the batch's revocations, once what they deleted is
/// erased from the disk ([`Store::erase_deleted`]): a receipt is never signed for
/// content still readable in the database file or its write-ahead log. The signed
/// answer is then stored with the revocation, for redelivery.
async fn finish_revocations(
    store: &Store,
    conn: &mut Held,
    jobs: &[Job],
    outcomes: Vec<Outcome>,
) -> Vec<Result<Outcome>> {
    if !outcomes.iter().any(|o| matches!(o, Outcome::Revoked { .. })) {
        return outcomes.into_iter().map(Ok).collect();
    }
    let erased = async { store.erase_deleted(conn.get(store).await?).await }.await;
    let mut out = Vec::with_capacity(outcomes.len());
    for (outcome, job) in outcomes.into_iter().zip(jobs) {
        out.push(match (outcome, job, &erased) {
            (Outcome::Revoked { .. }, _, Err(e)) => Err(Error::NotErased(match e {
                Error::NotErased(reason) => reason.clone(),
                other => other.to_string(),
            })),
            (Outcome::Revoked { message_id, deleted }, Job::Revoke { answer, .. }, Ok(())) => {
                let response = answer(deleted);
                async { set_response(conn.get(store).await?, &message_id, &response).await }
                    .await
                    .map(Outcome::Stored)
            }
            (other, _, _) => Ok(other),
        });
    }
    out
}

/// Stores the signed answer of a revocation whose content is now erased; returns the
/// answer stored (another instance's, if it got there first).
async fn set_response(conn: &mut AnyConnection, message_id: &str, response: &str) -> Result<String> {
    sqlx::query("UPDATE messages SET response = $1 WHERE id = $2 AND response = ''")
        .bind(response)
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    let stored: String = sqlx::query("SELECT response FROM messages WHERE id = $1")
        .bind(message_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get("response")?;
    Ok(stored)
}

/// Applies `jobs` in order in one transaction and commits it. Runs of ordinary messages
/// (the common case under load) are handled set-wise: one lookup of their ids, one of
/// their consents, multi-row inserts; grants and revocations go one by one.
async fn process(store: &Store, conn: &mut Held, jobs: &[Job]) -> Result<Vec<Outcome>> {
    let result = async { process_in_one_transaction(store, conn.get(store).await?, jobs).await }.await;
    if result.is_err() {
        conn.discard();
    }
    result
}

async fn process_in_one_transaction(
    store: &Store,
    conn: &mut AnyConnection,
    jobs: &[Job],
) -> Result<Vec<Outcome>> {
    let mut tx = store.write_tx_on(conn).await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut i = 0;
    while i < jobs.len() {
        let run = jobs[i..].iter().take_while(|j| matches!(j, Job::Accept { .. })).count();
        if run > 1 {
            outcomes.extend(accept_run(&mut tx, store.backend(), &jobs[i..i + run]).await?);
            i += run;
        } else {
            outcomes.push(apply(&mut tx, store.backend(), &jobs[i]).await?);
            i += 1;
        }
    }
    by_consent::after_batch(&mut tx, store.backend()).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// The writer's read of `columns` from the rows of `table` with `n` given ids (`$1`…).
fn by_keys(backend: Backend, columns: &str, table: &str, n: usize) -> String {
    by_keys_from(backend, columns, table, 1, n)
}

/// [`by_keys`] with the ids bound as the statement's `from`th parameter onwards.
fn by_keys_from(backend: Backend, columns: &str, table: &str, from: usize, n: usize) -> String {
    format!(
        "SELECT {columns} FROM {} WHERE id IN ({})",
        backend.by_key(table),
        rows::placeholders(backend, from, n)
    )
}

/// Set-wise equivalent of [`apply`] for a run of `Job::Accept`s, with the same outcomes
/// in the same order: no grant or revocation sits inside the run, so consents cannot
/// change within it.
async fn accept_run(tx: &mut Transaction<'_, Any>, backend: Backend, jobs: &[Job]) -> Result<Vec<Outcome>> {
    use std::collections::HashMap;
    let accepts: Vec<(&NewMessage, &String, &String, &ConsentNeed)> = jobs
        .iter()
        .filter_map(|j| match j {
            Job::Accept { message, response, kept, need } => Some((message, response, kept, need)),
            _ => None,
        })
        .collect();

    let ids = rows::padded(&accepts.iter().map(|(m, _, _, _)| m.id.as_str()).collect::<Vec<_>>());
    // Ids seen before, stored or deleted since, in one statement: on SQLite each costs
    // the writer's thread two wake-ups (BENCHMARKS.md, thirteenth session).
    let mut known: HashMap<String, (String, String)> = HashMap::new();
    let columns = "id, digest, response";
    let sql = format!(
        "{} UNION ALL {}",
        by_keys(backend, columns, "messages", ids.len()),
        by_keys_from(backend, columns, "deleted_messages", ids.len() + 1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids.iter().chain(&ids) {
        query = query.bind(*id);
    }
    for row in query.fetch_all(&mut **tx).await? {
        known.insert(row.try_get("id")?, (row.try_get("digest")?, row.try_get("response")?));
    }

    let mut consent_ids: Vec<&str> = accepts.iter().map(|(_, _, _, n)| n.consent_id.as_str()).collect();
    consent_ids.sort_unstable();
    consent_ids.dedup();
    let consent_ids = rows::padded(&consent_ids);
    let select = by_keys(backend, CONSENT_COLUMNS, "consents", consent_ids.len()) + backend.share_lock();
    let sql = backend.as_one_row(CONSENT_COLUMNS, &select);
    let mut query = sqlx::query(&sql);
    for id in &consent_ids {
        query = query.bind(*id);
    }
    let found: String = query.fetch_one(&mut **tx).await?.try_get("found")?;
    let found: Vec<StoredConsent> =
        serde_json::from_str(&found).map_err(|e| Error::Refused(format!("stored consents: {e}")))?;
    let mut consents = HashMap::new();
    for c in found {
        let c = ConsentRow::from_columns(c)?;
        consents.insert(c.id.clone(), c);
    }

    let mut outcomes = Vec::with_capacity(accepts.len());
    let mut to_insert: Vec<(&NewMessage, &String)> = Vec::new();
    for (message, response, kept, need) in accepts {
        if let Some((digest, stored)) = known.get(&message.id) {
            outcomes.push(if *digest == message.digest {
                Outcome::Duplicate(stored.clone())
            } else {
                Outcome::Conflict
            });
            continue;
        }
        match consent_refusal(consents.get(&need.consent_id), &message.sender, need) {
            Some(refusal) => outcomes.push(Outcome::Consent(refusal)),
            None => {
                // A later copy in this same run is a redelivery of this one.
                known.insert(message.id.clone(), (message.digest.clone(), response.clone()));
                to_insert.push((message, kept));
                outcomes.push(Outcome::Stored(response.clone()));
            }
        }
    }

    let received = Timestamp::now().to_string();
    let rules = if to_insert.iter().any(|(m, _)| m.case.is_some()) {
        enabled_rules_in(tx, backend).await?
    } else {
        Vec::new()
    };
    for chunk in rows::chunks(&to_insert) {
        let sql = format!(
            "INSERT INTO messages (id, kind, sender, consent_id, thread_id, in_reply_to, score, digest, document,
             response, received) VALUES {}",
            rows::values(backend, chunk.len(), 11)
        );
        let mut query = sqlx::query(&sql);
        for (m, kept) in chunk {
            query = query
                .bind(&m.id)
                .bind(m.kind)
                .bind(&m.sender)
                .bind(&m.consent_id)
                .bind(&m.thread_id)
                .bind(&m.in_reply_to)
                .bind(m.score)
                .bind(&m.digest)
                .bind(&m.document)
                .bind(kept.as_str())
                .bind(&received);
        }
        query.execute(&mut **tx).await?;
    }
    let stored: Vec<&NewMessage> = to_insert.iter().map(|(m, _)| *m).collect();
    file_in_cases(tx, backend, &stored, &rules, &received).await?;
    Ok(outcomes)
}

/// Opens the cases stored messages start, or reopens the ones their threads belong to,
/// counts their feedback scores towards NPS, and queues their webhook events.
async fn file_in_cases(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    messages: &[&NewMessage],
    rules: &[AlertRule],
    received: &str,
) -> Result<()> {
    let openings: Vec<cases::Opening> = messages
        .iter()
        .filter_map(|m| {
            let case = m.case.as_ref()?;
            Some(cases::Opening { id: &m.id, sender: &m.sender, consent: m.consent_id.as_deref(), case })
        })
        .collect();
    let mut alerts = cases::open_all_in(tx, backend, &openings, rules, received).await?.into_iter();
    let hooks = webhooks::Subscriptions::read_in(tx).await?;
    // Each message's event carries the whole message: not built when no webhook takes it.
    let tell = hooks.want(EventType::MessageReceived);
    let (mut scores, mut events) = (Vec::new(), Vec::new());
    for m in messages {
        let case = match &m.case {
            Some(case) => {
                events.extend(alerts.next().flatten());
                if let Some(score) = case.score {
                    scores.push(ScoreChange::entering(received, case.product_model.as_deref(), score));
                }
                Some(m.id.as_str())
            }
            None => match &m.thread_id {
                Some(thread) => {
                    events.extend(cases::reopen_in(tx, thread).await?);
                    Some(thread.as_str())
                }
                None => None,
            },
        };
        if tell {
            events.push(Event::message_received(
                &m.document,
                &m.id,
                &m.sender,
                m.consent_id.as_deref(),
                case,
            ));
        }
    }
    insights::count_scores_in(tx, scores).await?;
    hooks.queue_in(tx, &events).await
}

async fn apply(tx: &mut Transaction<'_, Any>, backend: Backend, job: &Job) -> Result<Outcome> {
    let m = job.message();
    // Replay: an id is accepted once, even after its content was deleted; the same
    // content again gets the same answer. Later jobs of the same batch see earlier ones:
    // they share the transaction.
    if let Some(row) = sqlx::query(
        "SELECT digest, response, deleted_ids FROM messages WHERE id = $1
         UNION ALL SELECT digest, response, NULL FROM deleted_messages WHERE id = $1",
    )
    .bind(&m.id)
    .fetch_optional(&mut **tx)
    .await?
    {
        let digest: String = row.try_get("digest")?;
        let response: String = row.try_get("response")?;
        if digest != m.digest {
            return Ok(Outcome::Conflict);
        }
        // A revocation whose receipt a crash kept from being signed: finish it now.
        if response.is_empty() {
            let deleted: Option<String> = row.try_get("deleted_ids")?;
            let deleted = serde_json::from_str(deleted.as_deref().unwrap_or("[]"))
                .map_err(|e| Error::Refused(format!("stored deleted ids of {}: {e}", m.id)))?;
            return Ok(Outcome::Revoked { message_id: m.id.clone(), deleted });
        }
        return Ok(Outcome::Duplicate(response));
    }
    match job {
        Job::Accept { message, response, kept, need } => {
            if let Some(refusal) = check_consent(tx, backend, &message.sender, need).await? {
                return Ok(Outcome::Consent(refusal));
            }
            insert_message(tx, message, kept).await?;
            let rules =
                if message.case.is_some() { enabled_rules_in(tx, backend).await? } else { Vec::new() };
            file_in_cases(tx, backend, &[message], &rules, &Timestamp::now().to_string()).await?;
            Ok(Outcome::Stored(response.clone()))
        }
        Job::Grant { message, response, consent } => {
            sqlx::query(
                "INSERT INTO consents (id, person, agreement, purpose, categories, retention_days, state, created)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&message.id)
            .bind(&message.sender)
            .bind(&consent.agreement)
            .bind(consent.purpose.as_str())
            .bind(serde_json::to_string(&consent.categories).unwrap_or_else(|_| "[]".into()))
            .bind(consent.retention_days)
            .bind(consent.state)
            .bind(Timestamp::now().to_string())
            .execute(&mut **tx)
            .await?;
            insert_message(tx, message, response).await?;
            if consent.state == "agreed" {
                let event = Event {
                    kind: EventType::ConsentAgreed,
                    data: json!({
                        "consentId": message.id,
                        "person": message.sender,
                        "agreement": consent.agreement,
                        "purpose": consent.purpose.as_str(),
                        "categories": consent.categories,
                        "retentionDays": consent.retention_days,
                    }),
                    consent_id: Some(message.id.clone()),
                    read: None,
                };
                webhooks::queue_in(tx, &[event]).await?;
            }
            Ok(Outcome::Stored(response.clone()))
        }
        Job::Revoke { message, .. } => revoke(tx, backend, message).await,
    }
}

/// Deletes every message held under the consent, and the offers and replies sent under
/// it; keeps the consent's terms marked revoked, so later messages under it are refused,
/// and each deleted message's id, digest and receipt, so none can be replayed.
async fn revoke(tx: &mut Transaction<'_, Any>, backend: Backend, message: &NewMessage) -> Result<Outcome> {
    let consent_id = message.consent_id.clone().unwrap_or_default();
    let consent = match consent_in(tx, &consent_id, backend.exclusive_lock()).await? {
        Some(c) if c.person == message.sender => c,
        _ => return Ok(Outcome::Consent(ConsentRefusal::Missing(consent_id))),
    };
    let mut deleted = Vec::new();
    if consent.state != "revoked" {
        let under = by_consent::messages_under(backend);
        let rows = sqlx::query(&format!(
            "SELECT id FROM messages WHERE {under} AND kind NOT IN ('ConsentGrant', 'ConsentRevocation')
             ORDER BY seq"
        ))
        .bind(&consent_id)
        .fetch_all(&mut **tx)
        .await?;
        for r in rows {
            let id: String = r.try_get("id")?;
            deleted
                .push(id.parse::<MessageId>().map_err(|e| Error::Refused(format!("stored id {id}: {e}")))?);
        }
        cases::delete_under_consent_in(tx, backend, &consent_id, None, &message.id).await?;
        delete_under_consent(tx, backend, &consent_id, None).await?;
        webhooks::purge_in(tx, &consent_id, None).await?;
        let event = Event {
            kind: EventType::ConsentRevoked,
            data: json!({
                "consentId": consent_id,
                "revocationId": message.id,
                "person": message.sender,
                "deleted": deleted.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            }),
            consent_id: Some(consent_id.clone()),
            read: None,
        };
        webhooks::queue_in(tx, &[event]).await?;
        sqlx::query("UPDATE consents SET state = 'revoked', revoked = $1 WHERE id = $2")
            .bind(Timestamp::now().to_string())
            .bind(&consent_id)
            .execute(&mut **tx)
            .await?;
    }
    let ids = serde_json::to_string(&deleted.iter().map(|d| d.to_string()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into());
    insert_message(tx, message, "").await?;
    sqlx::query("UPDATE messages SET deleted_ids = $1 WHERE id = $2")
        .bind(ids)
        .bind(&message.id)
        .execute(&mut **tx)
        .await?;
    Ok(Outcome::Revoked { message_id: message.id.clone(), deleted })
}

/// Deletes the person's messages under a consent (all, or those received before
/// `before`) and what the vendor sent under it, keeping of each message only what replay
/// protection needs. Consent grants and revocations stay: they are the consent's record.
pub(crate) async fn delete_under_consent(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    consent_id: &str,
    before: Option<&str>,
) -> Result<u64> {
    let keep = "kind NOT IN ('ConsentGrant', 'ConsentRevocation')";
    let under = by_consent::messages_under(backend);
    sqlx::query(&format!(
        "INSERT INTO deleted_messages (id, sender, digest, response, deleted)
         SELECT id, sender, digest, response, $3 FROM messages
         WHERE {under} AND ($2 IS NULL OR received < $2) AND {keep}"
    ))
    .bind(consent_id)
    .bind(before)
    .bind(Timestamp::now().to_string())
    .execute(&mut *conn)
    .await?;
    let deleted = sqlx::query(&format!(
        "DELETE FROM messages WHERE {under} AND ($2 IS NULL OR received < $2) AND {keep}"
    ))
    .bind(consent_id)
    .bind(before)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    by_consent::forget_deleted(conn, backend, consent_id).await?;
    sqlx::query("DELETE FROM outbox WHERE consent_id = $1 AND ($2 IS NULL OR created < $2)")
        .bind(consent_id)
        .bind(before)
        .execute(&mut *conn)
        .await?;
    Ok(deleted)
}

async fn insert_message(tx: &mut Transaction<'_, Any>, m: &NewMessage, response: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO messages (id, kind, sender, consent_id, thread_id, in_reply_to, score, digest, document,
         response, received) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&m.id)
    .bind(m.kind)
    .bind(&m.sender)
    .bind(&m.consent_id)
    .bind(&m.thread_id)
    .bind(&m.in_reply_to)
    .bind(m.score)
    .bind(&m.digest)
    .bind(&m.document)
    .bind(response)
    .bind(Timestamp::now().to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn check_consent(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    sender: &str,
    need: &ConsentNeed,
) -> Result<Option<ConsentRefusal>> {
    let consent = consent_in(tx, &need.consent_id, backend.share_lock()).await?;
    Ok(consent_refusal(consent.as_ref(), sender, need))
}

/// One consent, read with `lock` (the backend's share or exclusive lock clause).
async fn consent_in(tx: &mut Transaction<'_, Any>, id: &str, lock: &str) -> Result<Option<ConsentRow>> {
    let sql = format!("SELECT {CONSENT_COLUMNS} FROM consents WHERE id = $1{lock}");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    row.as_ref().map(consent_row).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Statistics taken while the store was small must not turn the batch's lookups
    /// into scans of every row once it has grown.
    #[tokio::test]
    async fn batch_lookups_use_the_key_whatever_the_statistics() {
        let (_dir, store) = crate::store::scratch_store().await;
        let mut conn = store.writes().acquire().await.unwrap();
        // A store analysed while small: what the hourly refresh does at start.
        let rows = [
            "INSERT INTO messages (id, kind, sender, digest, document, response, received)
             VALUES ($1, 'Feedback', 'did:key:z', '', '{}', '', '')",
            "INSERT INTO deleted_messages (id, sender, digest, response, deleted) VALUES ($1, '', '', '', '')",
            "INSERT INTO consents (id, person, agreement, purpose, categories, retention_days, state, created)
             VALUES ($1, '', '', 'service', '', 1, 'agreed', '')",
        ];
        for i in 0..37 {
            for sql in rows {
                sqlx::query(sql).bind(format!("m{i}")).execute(&mut *conn).await.unwrap();
            }
        }
        drop(conn);
        sqlx::query("ANALYZE").execute(store.writes()).await.unwrap();
        for table in ["messages", "deleted_messages", "consents"] {
            for n in [1, 16, 64, 256] {
                let plan = format!("EXPLAIN QUERY PLAN {}", by_keys(Backend::Sqlite, "*", table, n));
                let mut query = sqlx::query(&plan);
                for i in 0..n {
                    query = query.bind(format!("m{i}"));
                }
                let steps: Vec<String> = query
                    .fetch_all(store.writes())
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get::<String, _>("detail").unwrap())
                    .collect();
                assert!(
                    steps.iter().all(|s| s.starts_with("SEARCH") && s.contains("INDEX")),
                    "{table}, {n} ids: {steps:?}"
                );
            }
        }
    }
}

//! A vendor served in-process on 127.0.0.1:0, people who sign messages, and an HTTP
//! client that speaks to both.

use std::sync::Arc;

use parley_protocol::{
    AgreementId, Body, Category, ConsentGrant, ConsentId, Did, Feedback, FeedbackSubject, Intent, Message,
    Purpose, SecretKey, SupportRequest, Verified,
};
use parley_vendor::{Endpoint, Store, Vendor};
use serde_json::Value;
use tokio::sync::oneshot;

/// Which store a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A running vendor.
pub struct TestVendor {
    pub url: String,
    pub did: Did,
    pub endpoint: Arc<Endpoint>,
    pub database_url: String,
    _dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    _pg: Option<Arc<PgDatabase>>,
}

/// A fresh PostgreSQL database for one test, dropped afterwards.
pub struct PgDatabase {
    admin: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Best effort, on a thread of its own: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            });
        })
        .join();
    }
}

pub fn admin_url() -> String {
    std::env::var("PARLEY_TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "PostgreSQL tests need PARLEY_TEST_DATABASE_URL (./scripts/test.sh starts a server and sets it)"
        )
    })
}

/// A fresh database of its own on the test server, dropped with the guard.
pub async fn pg_database() -> (String, PgDatabase) {
    use sqlx::Connection;
    let admin = admin_url();
    let name = format!("parley_test_{}", uuid_like());
    let mut c = sqlx::PgConnection::connect(&admin).await.expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.expect("create a test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or(admin.clone());
    (format!("{base}/{name}"), PgDatabase { admin, name })
}

fn uuid_like() -> String {
    let key = SecretKey::generate().to_public().to_bytes();
    key[..8].iter().map(|b| format!("{b:02x}")).collect()
}

impl TestVendor {
    /// A vendor accepting the baseline agreements and PDC-INTENT.
    pub async fn start(db: Db) -> Self {
        Self::start_with(db, vec![AgreementId::SdBase, AgreementId::SdBaseDp, AgreementId::PdcIntent]).await
    }

    pub async fn start_with(db: Db, agreements: Vec<AgreementId>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vendor = Vendor::init(dir.path(), "Acme Kettles", agreements).unwrap();
        let (database_url, pg) = match db {
            Db::Sqlite => (vendor.default_database_url(), None),
            Db::Postgres => {
                let (url, guard) = pg_database().await;
                (url, Some(guard))
            }
        };
        Self::serve(vendor, database_url, Arc::new(dir), pg.map(Arc::new)).await
    }

    async fn serve(
        vendor: Vendor,
        database_url: String,
        dir: Arc<tempfile::TempDir>,
        pg: Option<Arc<PgDatabase>>,
    ) -> Self {
        let store = Store::connect(&database_url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let did = vendor.config.did.clone();
        let endpoint = parley_vendor::endpoint(vendor, store, &url).unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(parley_vendor::serve(listener, endpoint.clone(), async {
            let _ = stopped.await;
        }));
        Self { url, did, endpoint, database_url, _dir: dir, stop: Some(stop), _pg: pg }
    }

    /// Another instance of the same vendor on the same store, as behind a load balancer.
    pub async fn another_instance(&self) -> Self {
        let vendor = Vendor::load(self._dir.path()).unwrap();
        Self::serve(vendor, self.database_url.clone(), self._dir.clone(), self._pg.clone()).await
    }

    pub fn store(&self) -> &Store {
        &self.endpoint.store
    }

    /// The vendor's data folder (key, configuration, SQLite store).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// POSTs raw bytes as JSON; returns the status and the parsed body.
    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let resp = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the vendor answers");
        let status = resp.status().as_u16();
        let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        let value: Value = resp.json().await.expect("every answer is JSON");
        if status >= 400 {
            assert_eq!(
                content_type.as_deref(),
                Some("application/problem+json"),
                "refusals are problem documents"
            );
        }
        (status, value)
    }

    pub async fn post(&self, message: &Verified<Message>) -> (u16, Value) {
        self.post_raw("/parley/v1/messages", message.canonical().as_bytes().to_vec()).await
    }
}

impl Drop for TestVendor {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if !std::thread::panicking() {
            answers_match_the_contract(&self.endpoint.metrics);
        }
    }
}

/// Every answer a test's vendor gave is one its OpenAPI document lists for that method
/// and route: so every test of this suite also checks the document, which cannot drift
/// from what the routes answer. Only the console's HTML pages (for browsers) are not in
/// it; an unknown path answers 404, a method a path does not take 405.
pub fn answers_match_the_contract(metrics: &parley_vendor::metrics::Metrics) {
    use parley_vendor::contract;
    let mut unlisted = Vec::new();
    for (method, route, status) in metrics.answered().into_keys() {
        let method = if method == "HEAD" { "GET".to_owned() } else { method };
        let listed = match contract::lists(&method, &route, status) {
            Some(listed) => listed,
            None if route == "unmatched" => status == 404,
            None if contract::has_path(&route) => status == 405,
            None => route.starts_with("/console") && !route.starts_with("/console/api/"),
        };
        if !listed {
            unlisted.push(format!("{method} {route} answered {status}"));
        }
    }
    assert!(unlisted.is_empty(), "answers the OpenAPI document does not list: {unlisted:?}");
}

/// A person: one pairwise key for this vendor.
pub struct Person {
    pub key: SecretKey,
    pub vendor: Did,
}

impl Person {
    pub fn new(vendor: &TestVendor) -> Self {
        Self { key: SecretKey::generate(), vendor: vendor.did.clone() }
    }

    pub fn did(&self) -> Did {
        Did::from_public_key(&self.key.to_public())
    }

    pub fn message(&self, body: Body, consent: Option<ConsentId>) -> Message {
        let mut m = Message::new(self.did(), self.vendor.clone(), body);
        m.consent = consent;
        m
    }

    pub fn sign(&self, m: Message) -> Verified<Message> {
        m.sign(&self.key).unwrap()
    }

    pub fn grant(
        &self,
        agreement: AgreementId,
        purpose: Purpose,
        categories: &[Category],
    ) -> Verified<Message> {
        self.sign(self.message(
            Body::ConsentGrant(ConsentGrant {
                agreement,
                purpose,
                categories: categories.to_vec(),
                retention_days: 365,
                terms: None,
            }),
            None,
        ))
    }

    /// Grants a consent and returns its id, asserting the vendor agreed.
    pub async fn agreed(
        &self,
        v: &TestVendor,
        agreement: AgreementId,
        purpose: Purpose,
        categories: &[Category],
    ) -> ConsentId {
        let grant = self.grant(agreement, purpose, categories);
        let (status, answer) = v.post(&grant).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["answer"]["body"]["decision"], "accepted", "{answer}");
        grant.id.into()
    }

    pub fn feedback(&self, consent: ConsentId, score: u8, text: &str) -> Verified<Message> {
        self.sign(self.message(
            Body::Feedback(Feedback {
                about: FeedbackSubject::Vendor,
                score,
                text: Some(text.into()),
                suggestions: vec![],
                product: None,
                contact: None,
            }),
            Some(consent),
        ))
    }

    pub fn support(&self, consent: ConsentId, text: &str) -> Verified<Message> {
        self.sign(self.message(
            Body::SupportRequest(SupportRequest {
                kind: Default::default(),
                subject: "Help".into(),
                text: text.into(),
                product: None,
                purchase: None,
                contact: None,
            }),
            Some(consent),
        ))
    }

    pub fn intent(&self, consent: ConsentId, what: &str) -> Verified<Message> {
        self.sign(
            self.message(Body::Intent(Intent { what: what.into(), ..Default::default() }), Some(consent)),
        )
    }
}

/// Asserts a refusal's status and problem type.
pub fn assert_problem(got: &(u16, Value), status: u16, kind: &str) {
    assert_eq!(got.0, status, "status for {kind}: {}", got.1);
    assert_eq!(got.1["type"], format!("urn:parley:problem:{kind}"), "{}", got.1);
    assert!(got.1["detail"].as_str().is_some_and(|d| !d.is_empty()), "a human detail: {}", got.1);
}

/// Verifies a signed answer from the vendor and returns it.
pub fn vendor_signed(v: &TestVendor, doc: &Value, to: &Did) -> Verified<Message> {
    let policy = parley_protocol::VerifyPolicy::for_person(to.clone(), time::OffsetDateTime::now_utc());
    let m =
        parley_protocol::verify(doc.to_string().as_bytes(), &policy).expect("the vendor's answers verify");
    assert_eq!(m.from, v.did, "signed by the vendor");
    m
}

//! The agent's network half tested in-process: the vendor's router served on
//! `127.0.0.1:0` from the `parley-vendor` library, driven by the `parley-agent` API
//! itself — the same calls the CLI and the desktop app make — with no binaries between.

use std::sync::Arc;

use parley_agent::exchange::SyncOptions;
use parley_agent::ids::RecordKind;
use parley_agent::outbox::OutboxState;
use parley_agent::records::consents::{ConsentFields, ConsentState};
use parley_agent::records::feedback::FeedbackFields;
use parley_agent::records::products::ProductFields;
use parley_agent::records::support::{SupportFields, SupportState};
use parley_agent::{Agent, KdfParams, Passphrase, Vault};
use parley_protocol::{AgreementId, Body, Category, MessageType, Purpose};

/// A vendor served in-process; dropped, it stops.
pub(crate) struct Endpoint {
    pub url: String,
    pub database_url: String,
    pub endpoint: Arc<parley_vendor::Endpoint>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Endpoint {
    pub async fn start(name: &str, agreements: Vec<AgreementId>) -> Self {
        Self::start_with(name, agreements, parley_vendor::webhooks::WebhookPolicy::default()).await
    }

    /// A vendor whose webhook sender follows `policy` (short waits, for tests).
    pub async fn start_with(
        name: &str,
        agreements: Vec<AgreementId>,
        policy: parley_vendor::webhooks::WebhookPolicy,
    ) -> Self {
        Self::launch(name, agreements, policy, None).await
    }

    /// A vendor reached through `public_url` (something in front of it, which forwards to
    /// its own loopback port, named in [`Endpoint::url`]).
    pub async fn start_behind(name: &str, agreements: Vec<AgreementId>, public_url: &str) -> Self {
        Self::launch(name, agreements, Default::default(), Some(public_url)).await
    }

    async fn launch(
        name: &str,
        agreements: Vec<AgreementId>,
        policy: parley_vendor::webhooks::WebhookPolicy,
        public_url: Option<&str>,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vendor = parley_vendor::Vendor::init(dir.path(), name, agreements).unwrap();
        let database_url = vendor.default_database_url();
        let store = parley_vendor::Store::connect(&database_url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut endpoint = parley_vendor::endpoint(vendor, store, public_url.unwrap_or(&url)).unwrap();
        Arc::get_mut(&mut endpoint).expect("not shared before it serves").webhooks = policy;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(parley_vendor::serve(listener, endpoint.clone(), async {
            let _ = stopped.await;
        }));
        Self { url, database_url, endpoint, stop: Some(stop), _dir: dir }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A person's agent over a new vault in a temporary folder.
pub(crate) async fn person() -> (tempfile::TempDir, Agent) {
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new("correct horse battery staple").unwrap();
    let vault = Vault::create(&dir.path().join("vault"), &pass, KdfParams::INSECURE_FOR_TESTS).await.unwrap();
    (dir, Agent::new(vault).unwrap())
}

pub(crate) async fn agreed(
    agent: &Agent,
    vendor: &str,
    purpose: Purpose,
    categories: Vec<Category>,
) -> parley_agent::records::consents::Consent {
    let fields = ConsentFields {
        vendor: Some(vendor.into()),
        purpose: Some(purpose),
        categories: Some(categories),
        retention_days: Some(30),
        ..Default::default()
    };
    let (consent, _) = agent.grant_consent(fields).await.unwrap();
    assert_eq!(consent.state, ConsentState::Agreed, "the vendor agrees to a roster agreement it accepts");
    consent
}

/// A kettle from Acme in the vault, and a draft support request about its leak.
pub(crate) async fn kettle_support_request(
    agent: &Agent,
    text: &str,
) -> parley_agent::records::support::SupportRequest {
    let product = agent
        .vault()
        .products()
        .add(ProductFields { name: Some("Kettle".into()), vendor: Some("Acme".into()), ..Default::default() })
        .await
        .unwrap();
    let fields = SupportFields {
        product: Some(product.id.to_string()),
        subject: Some("Leak".into()),
        text: Some(text.into()),
        ..Default::default()
    };
    agent.vault().support().add(fields).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_goes_from_the_agent_api_to_the_vendors_store_with_a_verified_receipt() {
    let acme = Endpoint::start("Acme", vec![AgreementId::SdBase]).await;
    let (_dir, agent) = person().await;
    let vendor = agent.discover_vendor(&acme.url, None).await.unwrap();
    assert_eq!(vendor.did.as_ref(), Some(&acme.endpoint.config.did), "the descriptor's key is pinned");
    agreed(&agent, "Acme", Purpose::Improvement, vec![Category::Feedback]).await;

    let fields = FeedbackFields {
        vendor: Some("Acme".into()),
        score: Some(9),
        text: Some("Quick".into()),
        ..Default::default()
    };
    let feedback = agent.vault().feedback().add(fields).await.unwrap();
    let sent = agent.send_feedback(&feedback.id, None).await.unwrap();
    assert!(sent.problems.is_empty(), "{:?}", sent.problems);
    let item = &sent.messages[0];
    assert_eq!((item.message_type, item.state), (MessageType::Feedback, OutboxState::Delivered));
    assert!(item.receipt.is_some(), "delivered means a verified receipt is kept");

    let held = acme.endpoint.store.message(&item.id.to_message_id().to_string()).await.unwrap();
    assert_eq!(held.document, item.message, "the vendor holds exactly the bytes the agent signed");
    let again = agent.send_feedback(&feedback.id, None).await.unwrap_err();
    assert!(again.to_string().contains("already sent"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_comes_back_into_the_support_requests_thread() {
    let acme = Endpoint::start("Acme", vec![AgreementId::SdBase]).await;
    let (_dir, agent) = person().await;
    agent.discover_vendor(&acme.url, None).await.unwrap();
    agreed(&agent, "Acme", Purpose::Service, vec![Category::Support, Category::Product]).await;
    let request = kettle_support_request(&agent, "It leaks").await;
    let sent = agent.send_support(&request.id, None).await.unwrap();
    let message = sent.messages[0].id.clone();
    let held = acme.endpoint.store.message(&message.to_message_id().to_string()).await.unwrap();
    assert_eq!(held.document["body"]["product"]["name"], "Kettle", "the consent covers product details");

    parley_vendor::console::reply(&acme.endpoint.store, &acme.endpoint.key, &held.id, "Send it in")
        .await
        .unwrap();
    let report = agent.sync(&SyncOptions::default()).await.unwrap();
    assert_eq!(report.received, 1, "{:?}", report.problems);
    let inbox = agent.vault().inbox(None).await.unwrap();
    assert_eq!(inbox[0].thread.as_ref(), Some(&message), "in the request's thread");
    assert_eq!(inbox[0].message_type, MessageType::Reply);
    let about = inbox[0].about.as_ref().expect("the reply names the request it answers");
    assert_eq!(
        (about.kind.as_str(), about.id.as_str(), about.title.as_str()),
        ("support", request.id.as_str(), "Leak")
    );
    assert_eq!(agent.vault().unread().await.unwrap().len(), 1, "a new reply is unread");
    agent.vault().mark_read(&[inbox[0].id.clone()]).await.unwrap();
    assert!(agent.vault().unread().await.unwrap().is_empty());
    assert!(agent.vault().inbox(None).await.unwrap()[0].read.is_some(), "seen, with when");
    let answered = agent.vault().support().get(&request.id).await.unwrap();
    assert_eq!(answered.state, SupportState::Answered);
    let again = agent.sync(&SyncOptions::default()).await.unwrap();
    assert_eq!(again.received, 0, "a reply is stored once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_through_the_agent_keeps_the_vendors_deletion_receipt() {
    let acme = Endpoint::start("Acme", vec![AgreementId::SdBase]).await;
    let (_dir, agent) = person().await;
    agent.discover_vendor(&acme.url, None).await.unwrap();
    agreed(&agent, "Acme", Purpose::Improvement, vec![Category::Feedback]).await;
    let consent = agent.vault().consents().list(None).await.unwrap().remove(0);
    let fields = FeedbackFields { vendor: Some("Acme".into()), score: Some(2), ..Default::default() };
    let feedback = agent.vault().feedback().add(fields).await.unwrap();
    let sent = agent.send_feedback(&feedback.id, None).await.unwrap();
    let message = sent.messages[0].id.to_message_id();

    let (revoked, _) = agent.revoke_consent(&consent.id, None).await.unwrap();
    assert_eq!(revoked.state, ConsentState::Revoked);
    let receipt = revoked.deletion_receipt.expect("the vendor's signed deletion receipt is kept");
    let receipt = parley_protocol::Message::from_value(&receipt).unwrap();
    let Body::DeletionReceipt(d) = receipt.body else { panic!("a DeletionReceipt") };
    assert_eq!(d.deleted, vec![message], "it names the feedback it deleted");
    assert!(
        acme.endpoint.store.message(&message.to_string()).await.is_err(),
        "and the vendor no longer has it"
    );
    let shared = agent.vault().outbox_for(RecordKind::Consent, &(&consent.id).into()).await.unwrap();
    assert!(shared.iter().all(|m| m.state == OutboxState::Delivered), "grant and revocation both delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_sees_who_read_their_request_and_catches_a_rewritten_log() {
    let acme = Endpoint::start("Acme", vec![AgreementId::SdBase]).await;
    let (_dir, agent) = person().await;
    let vendor = agent.discover_vendor(&acme.url, None).await.unwrap();
    assert!(vendor.access_log_url.as_deref().is_some_and(|u| u.starts_with(&acme.url)));
    agreed(&agent, "Acme", Purpose::Service, vec![Category::Support]).await;
    let request = kettle_support_request(&agent, "It leaks").await;
    let sent = agent.send_support(&request.id, None).await.unwrap();
    let message = sent.messages[0].id.to_message_id().to_string();

    let report = agent.sync(&SyncOptions::default()).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.reads, 0, "nobody read it yet");
    let logs = agent.vault().access_log(None).await.unwrap();
    assert_eq!(logs.len(), 1);
    assert!(logs[0].checked.is_some() && logs[0].problem.is_none() && logs[0].reads.is_empty());

    // A token reads the case through the console's API: a read the person is told of.
    let store = &acme.endpoint.store;
    let (_, token) = store.add_token("Zammad", parley_vendor::store::staff::Role::Agent).await.unwrap();
    let read = reqwest::Client::new()
        .get(format!("{}/console/api/cases/{message}", acme.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let report = agent.sync(&SyncOptions::default()).await.unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.reads, 1);
    let reads = &agent.vault().access_log(Some("Acme")).await.unwrap()[0].reads;
    assert_eq!(reads.len(), 1);
    let r = &reads[0];
    assert_eq!((r.seq, r.reader.as_str(), r.role.as_str()), (1, "token 1", "agent"));
    assert_eq!((r.via, r.channel.as_deref()), (parley_protocol::AccessVia::Api, Some("Zammad")));
    assert_eq!(r.message_type, Some(MessageType::SupportRequest));
    assert_eq!(r.summary, "Your support request was read by token 1 (agent) through the API “Zammad”");
    let again = agent.sync(&SyncOptions::default()).await.unwrap();
    assert_eq!(again.reads, 0, "a read is kept once");

    // The vendor rewrites the entry the person holds: the agent says so and keeps its copy.
    let vendor_db = sqlx::SqlitePool::connect(&acme.database_url).await.unwrap();
    let changed = sqlx::query("UPDATE access_log SET reader = 'staff 9' WHERE seq = 1")
        .execute(&vendor_db)
        .await
        .unwrap();
    assert_eq!(changed.rows_affected(), 1);
    let report = agent.sync(&SyncOptions::default()).await.unwrap();
    let problem = report.problems.iter().find(|p| p.error.contains("staff-access log")).expect("reported");
    assert_eq!(problem.code, parley_agent::ErrorCode::BadAnswer);
    assert!(problem.error.contains("entry 1"), "{}", problem.error);
    let logs = agent.vault().access_log(None).await.unwrap();
    assert!(logs[0].problem.as_deref().is_some_and(|p| p.contains("entry 1")), "{:?}", logs[0].problem);
    assert_eq!(logs[0].reads[0].reader, "token 1", "the copy first received is kept");
    let audit = agent.vault().audit_log(Some("Acme")).await.unwrap();
    assert_eq!(audit.iter().filter(|e| e.action == "access.broken").count(), 1);
    agent.sync(&SyncOptions::default()).await.unwrap();
    let audit = agent.vault().audit_log(Some("Acme")).await.unwrap();
    assert_eq!(
        audit.iter().filter(|e| e.action == "access.broken").count(),
        1,
        "recorded once, not per sync"
    );
    assert!(audit
        .iter()
        .any(|e| e.action == "access.received" && e.detail["accessLog"]["proof"].is_object()));
}

/// Signs an order update for `offer` from `key` to `person` and puts it in the vendor's
/// outbox, as a hostile or mistaken vendor would: the agent must judge it on its own.
async fn slip_in_order(acme: &Endpoint, key: &parley_protocol::SecretKey, person: &str, offer: &str) {
    use parley_protocol::{Did, LineItem, Message, Money, Order, OrderStatus};
    let person: Did = person.parse().unwrap();
    let order = Order {
        order: "A-FORGED".into(),
        offer: offer.parse().unwrap(),
        status: OrderStatus::Delivered,
        tracking: None,
        serial: Some("SN-X".into()),
        warranty_until: None,
        items: vec![LineItem {
            what: "Kettle".into(),
            model: None,
            quantity: 1,
            price: Money { amount: "1".into(), currency: "EUR".into() },
        }],
    };
    let m = Message::new(Did::from_public_key(&key.to_public()), person.clone(), Body::Order(order));
    let signed = m.sign(key).unwrap();
    let db = sqlx::SqlitePool::connect(&acme.database_url).await.unwrap();
    sqlx::query(
        "INSERT INTO outbox (id, kind, recipient, document, created) VALUES ($1, 'Order', $2, $3, $4)",
    )
    .bind(signed.id.to_string())
    .bind(person.as_str())
    .bind(signed.canonical())
    .bind(parley_protocol::Timestamp::now().to_string())
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_for_an_offer_not_accepted_or_from_another_key_is_refused() {
    use parley_agent::records::intents::IntentFields;
    let acme = Endpoint::start("Acme", vec![AgreementId::SdBase, AgreementId::PdcIntent]).await;
    let (_dir, agent) = person().await;
    agent.discover_vendor(&acme.url, None).await.unwrap();
    agreed(&agent, "Acme", Purpose::Quote, vec![Category::Intent]).await;
    let intent = agent
        .vault()
        .intents()
        .add(IntentFields { what: Some("Kettle".into()), ..Default::default() })
        .await
        .unwrap();
    agent.send_intent(intent.id.as_str(), &["Acme".into()]).await.unwrap();
    let store = &acme.endpoint.store;
    let held = &store.messages(Some(MessageType::Intent), 10).await.unwrap()[0];
    let price = parley_protocol::Money { amount: "79.90".into(), currency: "EUR".into() };
    let offer = parley_vendor::console::offer(store, &acme.endpoint.key, &held.id, price, "Kettle K2", None)
        .await
        .unwrap();
    let offer = offer["id"].as_str().unwrap().to_owned();
    agent.sync(&SyncOptions::default()).await.unwrap();

    // Signed by the vendor, but for an offer the person never accepted.
    slip_in_order(&acme, &acme.endpoint.key, &held.sender, &offer).await;
    let report = agent.sync(&SyncOptions::default()).await.unwrap();
    let problem = report.problems.iter().find(|p| p.error.contains("did not accept")).expect("reported");
    assert_eq!(problem.code, parley_agent::ErrorCode::BadAnswer);
    assert!(report.owned.is_empty());
    let db = sqlx::SqlitePool::connect(&acme.database_url).await.unwrap();
    sqlx::query("DELETE FROM outbox WHERE kind = 'Order'").execute(&db).await.unwrap();
    db.close().await;

    // Accepted now; an update signed by some other key is still not the vendor's.
    agent.accept_offer(parley_agent::ids::MessageUuid::from(&offer.parse().unwrap()).as_str()).await.unwrap();
    slip_in_order(&acme, &parley_protocol::SecretKey::generate(), &held.sender, &offer).await;
    let report = agent.sync(&SyncOptions::default()).await.unwrap();
    assert!(
        report.problems.iter().any(|p| p.error.contains("not by the pinned key")),
        "{:?}",
        report.problems
    );
    assert!(report.owned.is_empty());
    assert!(agent.vault().products().list(parley_agent::records::Page::first(0)).await.unwrap().is_empty());
    let inbox = agent.vault().inbox(None).await.unwrap();
    assert!(inbox.iter().all(|m| m.message_type != MessageType::Order), "no forged update is kept");
}

//! What deletion and replay protection promise, checked on the bytes and over HTTP: the
//! deleted text is gone from the database file and its log by the time the deletion
//! receipt is signed; the files are the owner's alone; a captured inbox query or a
//! message deleted by the retention sweep cannot be replayed.

use parley_protocol::{AgreementId, Body, Category, ConsentGrant, InboxQuery, Purpose, Timestamp};
use time::Duration;

use crate::common::{assert_problem, vendor_signed, Db, Person, TestVendor};

crate::on_both_stores!(
    captured_inbox_query_cannot_be_replayed,
    message_deleted_by_retention_cannot_be_replayed
);

const MARKER: &str = "ERASE-ME-4c1f-my-neighbour-is-loud";

fn holds(path: &std::path::Path, needle: &str) -> bool {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_text_is_erased_from_the_database_and_its_log_before_the_receipt() {
    let v = TestVendor::start(Db::Sqlite).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    for i in 0..20 {
        assert_eq!(v.post(&p.support(consent, &format!("{MARKER} #{i}"))).await.0, 200);
    }
    let (db, wal) = (v.dir().join("vendor.db"), v.dir().join("vendor.db-wal"));
    assert!(holds(&db, MARKER) || holds(&wal, MARKER), "the check can see the text while it is held");

    let revoke = p.sign(p.message(Body::ConsentRevocation(Default::default()), Some(consent)));
    let (status, answer) = v.post(&revoke).await;
    assert_eq!(status, 200, "{answer}");
    let receipt = vendor_signed(&v, &answer["answer"], &p.did());
    assert!(matches!(receipt.body, Body::DeletionReceipt(_)));
    // The vendor still runs, its connections open: what the receipt promises is already true.
    assert!(!holds(&db, MARKER), "no copy in the database file's free pages");
    assert!(!holds(&wal, MARKER), "no copy in the write-ahead log");
    // Sent again, the revocation gets the same receipt.
    assert_eq!(v.post(&revoke).await.1, answer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_folder_and_store_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let v = TestVendor::start(Db::Sqlite).await;
    let p = Person::new(&v);
    p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let mode = |name: &str| {
        let path = if name.is_empty() { v.dir().to_owned() } else { v.dir().join(name) };
        std::fs::metadata(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700, "the data folder");
    for file in ["vendor.key", "vendor.json", "vendor.db", "vendor.db-wal", "vendor.db-shm"] {
        assert_eq!(mode(file), 0o600, "{file} is readable by its owner only");
    }
}

async fn captured_inbox_query_cannot_be_replayed(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let q = p.sign(p.message(Body::InboxQuery(InboxQuery { since: None }), None));
    let first = v.post_raw("/parley/v1/inbox", q.canonical().as_bytes().to_vec()).await;
    assert_eq!(first.0, 200, "{}", first.1);
    let again = v.post_raw("/parley/v1/inbox", q.canonical().as_bytes().to_vec()).await;
    assert_problem(&again, 409, "replayed-id");
    let fresh = p.sign(p.message(Body::InboxQuery(InboxQuery { since: None }), None));
    assert_eq!(v.post_raw("/parley/v1/inbox", fresh.canonical().as_bytes().to_vec()).await.0, 200);
}

async fn message_deleted_by_retention_cannot_be_replayed(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let support = p.support(consent, "my old complaint");
    let (status, original) = v.post(&support).await;
    assert_eq!(status, 200, "{original}");
    // Another person's case under a consent kept for longer must not go with it.
    let other = Person::new(&v);
    let grant = other.sign(other.message(
        Body::ConsentGrant(ConsentGrant {
            agreement: AgreementId::SdBase,
            purpose: Purpose::Service,
            categories: vec![Category::Support],
            retention_days: 730,
            terms: None,
        }),
        None,
    ));
    assert_eq!(v.post(&grant).await.0, 200);
    let long = grant.id.into();
    let kept = other.support(long, "still within its retention");
    assert_eq!(v.post(&kept).await.0, 200);
    let next_year = Timestamp::from(Timestamp::now().get() + Duration::days(400));
    let within = Timestamp::from(Timestamp::now().get() + Duration::days(10));
    assert_eq!(v.store().sweep_expired(within).await.unwrap(), 0, "nothing is due yet");
    assert_eq!(v.store().case(&support.id.to_string()).await.unwrap().deleted, None);
    assert_eq!(v.store().sweep_expired(next_year).await.unwrap(), 1, "deleted at the end of its retention");
    let case = v.store().case(&support.id.to_string()).await.unwrap();
    assert_eq!(
        (case.deleted_by.as_deref(), case.title),
        (Some("retention"), None),
        "its case went with it, text and all"
    );
    assert_eq!(v.store().case(&kept.id.to_string()).await.unwrap().deleted, None, "the other case stays");

    let (status, again) = v.post(&support).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again, original, "sent again, it gets its original receipt");
    assert!(
        v.store().messages(None, 100).await.unwrap().iter().all(|m| m.id != support.id.to_string()),
        "and is not stored as new"
    );
    let mut changed = p.message(
        Body::SupportRequest(parley_protocol::SupportRequest {
            kind: Default::default(),
            subject: "Help".into(),
            text: "another text".into(),
            product: None,
            purchase: None,
            contact: None,
        }),
        Some(consent),
    );
    changed.id = support.id;
    assert_problem(&v.post(&p.sign(changed)).await, 409, "replayed-id");
}

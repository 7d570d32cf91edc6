//! The store under load and over time: group commit, NPS, retention.

use parley_protocol::{AgreementId, Category, Purpose, Timestamp};
use time::Duration;

use crate::common::{Db, Person, TestVendor};

crate::on_both_stores!(
    concurrent_messages_are_all_committed_once,
    nps_counts_promoters_and_detractors,
    retention_deletes_old_messages
);

async fn concurrent_messages_are_all_committed_once(db: Db) {
    let v = std::sync::Arc::new(TestVendor::start(db).await);
    let people: Vec<Person> = (0..8).map(|_| Person::new(&v)).collect();
    let mut consents = Vec::new();
    for p in &people {
        consents.push(p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await);
    }
    let messages: Vec<_> =
        (0..200).map(|i| people[i % 8].support(consents[i % 8], &format!("request {i}"))).collect();
    let mut tasks = Vec::new();
    for m in messages {
        let v = v.clone();
        // Every message twice at once: group commit must store it once, answer both.
        tasks.push(tokio::spawn(async move { (v.post(&m).await, v.post(&m).await) }));
    }
    for t in tasks {
        let ((s1, r1), (s2, r2)) = t.await.unwrap();
        assert_eq!((s1, s2), (200, 200));
        assert_eq!(r1, r2, "both deliveries get the same receipt");
    }
    let stored = v.store().messages(Some(parley_protocol::MessageType::SupportRequest), 1000).await.unwrap();
    assert_eq!(stored.len(), 200);
}

async fn nps_counts_promoters_and_detractors(db: Db) {
    let v = TestVendor::start(db).await;
    assert_eq!(v.store().nps().await.unwrap().score, None);
    let p = Person::new(&v);
    let c = p.agreed(&v, AgreementId::SdBase, Purpose::Improvement, &[Category::Feedback]).await;
    for score in [10, 9, 9, 8, 7, 6, 0, 3, 10, 10] {
        assert_eq!(v.post(&p.feedback(c, score, "x")).await.0, 200);
    }
    let nps = v.store().nps().await.unwrap();
    assert_eq!((nps.promoters, nps.passives, nps.detractors, nps.count), (5, 2, 3, 10));
    assert_eq!(nps.score, Some(20.0), "50% promoters − 30% detractors");
}

async fn retention_deletes_old_messages(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let c = p.agreed(&v, AgreementId::SdBase, Purpose::Improvement, &[Category::Feedback]).await;
    assert_eq!(v.post(&p.feedback(c, 9, "kept for a year")).await.0, 200);
    assert_eq!(v.store().sweep_expired(Timestamp::now()).await.unwrap(), 0, "within retention, kept");
    let next_year = Timestamp::from(Timestamp::now().get() + Duration::days(366));
    assert_eq!(v.store().sweep_expired(next_year).await.unwrap(), 1, "past 365 days, deleted");
}

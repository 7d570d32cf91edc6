//! The inbox: each person gets what was sent to them, and nothing else.

use parley_protocol::{AgreementId, Body, Category, InboxQuery, Purpose, Timestamp};
use time::{Duration, OffsetDateTime};

use crate::common::{assert_problem, vendor_signed, Db, Person, TestVendor};

crate::on_both_stores!(inbox_is_isolated_between_people, inbox_queries_must_be_fresh_and_in_their_place);

async fn query(v: &TestVendor, p: &Person, since: Option<Timestamp>) -> (u16, serde_json::Value) {
    let q = p.sign(p.message(Body::InboxQuery(InboxQuery { since }), None));
    v.post_raw("/parley/v1/inbox", q.canonical().as_bytes().to_vec()).await
}

async fn inbox_is_isolated_between_people(db: Db) {
    let v = TestVendor::start(db).await;
    let (ana, ben) = (Person::new(&v), Person::new(&v));
    let a_consent = ana.agreed(&v, AgreementId::PdcIntent, Purpose::Quote, &[Category::Intent]).await;
    let b_consent = ben.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let intent = ana.intent(a_consent, "espresso machine");
    let support = ben.support(b_consent, "broken lamp");
    assert_eq!(v.post(&intent).await.0, 200);
    assert_eq!(v.post(&support).await.0, 200);
    let price = parley_protocol::Money { amount: "289.00".into(), currency: "EUR".into() };
    parley_vendor::console::offer(v.store(), &v.endpoint.key, &intent.id.to_string(), price, "Model X", None)
        .await
        .unwrap();
    parley_vendor::console::reply(v.store(), &v.endpoint.key, &support.id.to_string(), "Try a new bulb")
        .await
        .unwrap();

    let (status, a) = query(&v, &ana, None).await;
    assert_eq!(status, 200, "{a}");
    let a = a["messages"].as_array().unwrap().clone();
    assert_eq!(a.len(), 1, "Ana sees her offer only");
    let offer = vendor_signed(&v, &a[0], &ana.did());
    assert!(matches!(offer.body, Body::Offer(_)));
    assert_eq!(offer.in_reply_to, Some(intent.id));

    let (_, b) = query(&v, &ben, None).await;
    let b = b["messages"].as_array().unwrap().clone();
    assert_eq!(b.len(), 1, "Ben sees his reply only");
    assert!(matches!(vendor_signed(&v, &b[0], &ben.did()).body, Body::Reply(_)));

    let later = Timestamp::from(OffsetDateTime::now_utc() + Duration::minutes(1));
    assert_eq!(query(&v, &ana, Some(later)).await.1["messages"], serde_json::json!([]), "since filters");
    let stranger = Person::new(&v);
    assert_eq!(query(&v, &stranger, None).await.1["messages"], serde_json::json!([]));
}

async fn inbox_queries_must_be_fresh_and_in_their_place(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let mut old = p.message(Body::InboxQuery(InboxQuery { since: None }), None);
    old.created = Timestamp::from(OffsetDateTime::now_utc() - Duration::minutes(30));
    let old = p.sign(old);
    assert_problem(
        &v.post_raw("/parley/v1/inbox", old.canonical().as_bytes().to_vec()).await,
        400,
        "not-yet-valid",
    );
    let q = p.sign(p.message(Body::InboxQuery(InboxQuery { since: None }), None));
    assert_problem(&v.post(&q).await, 400, "unknown-type");
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let not_a_query = p.support(consent, "x");
    assert_problem(
        &v.post_raw("/parley/v1/inbox", not_a_query.canonical().as_bytes().to_vec()).await,
        400,
        "unknown-type",
    );
}

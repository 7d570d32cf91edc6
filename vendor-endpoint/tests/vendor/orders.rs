//! Orders and the claims that cite them, at the vendor: an order follows only an offer
//! the person accepted and moves only forward; a warranty claim is taken only when it
//! cites this vendor's own signed order, sent to the claimant.

use parley_protocol::{
    AgreementId, Body, Category, OfferAcceptance, OrderStatus, PurchaseProof, Purpose, SupportKind,
    SupportRequest,
};
use parley_vendor::console::{self, OrderUpdate};
use serde_json::Value;

use crate::common::{assert_problem, Db, Person, TestVendor};
use crate::on_both_stores;

on_both_stores!(orders_follow_accepted_offers_and_claims_cite_the_vendors_own_order);

/// A claim of `kind` by `p` under `consent`, citing `signed_order`.
fn claim(
    p: &Person,
    consent: parley_protocol::ConsentId,
    kind: SupportKind,
    signed_order: &Value,
) -> parley_protocol::Verified<parley_protocol::Message> {
    let order = signed_order["body"]["order"].as_str().unwrap().to_owned();
    let digest = parley_protocol::digest_of(parley_protocol::jcs::canonicalize(signed_order).as_bytes());
    p.sign(p.message(
        Body::SupportRequest(SupportRequest {
            kind,
            subject: "It stopped heating".into(),
            text: "Three weeks old".into(),
            product: None,
            purchase: Some(PurchaseProof {
                order,
                signed_order: signed_order.clone(),
                digests: vec![digest],
            }),
            contact: None,
        }),
        Some(consent),
    ))
}

async fn orders_follow_accepted_offers_and_claims_cite_the_vendors_own_order(db: Db) {
    let v = TestVendor::start(db).await;
    let (store, key) = (v.store(), &v.endpoint.key);
    let ana = Person::new(&v);
    let quote = ana.agreed(&v, AgreementId::PdcIntent, Purpose::Quote, &[Category::Intent]).await;
    let service =
        ana.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support, Category::Product]).await;
    let intent = ana.intent(quote, "Kettle");
    assert_eq!(v.post(&intent).await.0, 200);
    let price = parley_protocol::Money { amount: "79.90".into(), currency: "EUR".into() };
    let offer = console::offer(store, key, &intent.id.to_string(), price, "Kettle K2", None).await.unwrap();
    let offer_id = offer["id"].as_str().unwrap();

    let early =
        console::order_as(store, key, offer_id, OrderStatus::Confirmed, OrderUpdate::default(), None).await;
    assert!(early.unwrap_err().to_string().contains("was not accepted"), "no order before acceptance");
    let mut accept =
        ana.message(Body::OfferAcceptance(OfferAcceptance { offer: offer_id.parse().unwrap() }), Some(quote));
    accept.thread = Some(intent.id);
    assert_eq!(v.post(&ana.sign(accept)).await.0, 200);
    assert_eq!(store.offers(10).await.unwrap()[0].state, "accepted");

    let update = OrderUpdate { model: Some("K2".into()), ..Default::default() };
    let confirmed =
        console::order_as(store, key, offer_id, OrderStatus::Confirmed, update, None).await.unwrap();
    let delivered = OrderUpdate {
        serial: Some("SN-1".into()),
        warranty_until: Some("2028-12-03".into()),
        ..Default::default()
    };
    let delivered =
        console::order_as(store, key, offer_id, OrderStatus::Delivered, delivered, None).await.unwrap();
    assert_eq!(delivered["body"]["order"], confirmed["body"]["order"], "one order id across its updates");
    assert_eq!(delivered["body"]["items"][0]["model"], "K2", "the line stays as first made");
    let back =
        console::order_as(store, key, offer_id, OrderStatus::Shipped, OrderUpdate::default(), None).await;
    assert!(back.unwrap_err().to_string().contains("cannot become shipped"));
    let listed = &store.offers(10).await.unwrap()[0];
    assert_eq!((listed.state, listed.order_status), ("ordered", Some(OrderStatus::Delivered)));

    // Ana's claim cites her order: taken, and shown as a verified purchase.
    let ok = claim(&ana, service, SupportKind::WarrantyClaim, &delivered);
    assert_eq!(v.post(&ok).await.0, 200);
    let held = store.message(&ok.id.to_string()).await.unwrap();
    let cited = parley_vendor::store::orders::cited_purchase(&held.document, &v.did).unwrap();
    assert_eq!(
        parley_vendor::store::orders::purchase_in_words(&cited),
        format!(
            "verified purchase {}, warranty until 2028-12-03",
            delivered["body"]["order"].as_str().unwrap()
        )
    );

    // The console shows the order on the intent's case and the verified purchase on the claim's.
    crate::console::staff(&v, "sam@acme.example", parley_vendor::store::staff::Role::Agent).await;
    let c = crate::console::Console::sign_in(&v, "sam@acme.example").await;
    let (_, page) = c.page(&format!("/console/cases/{}", intent.id)).await;
    assert!(page.contains("data-testid=\"order-status\">delivered"), "{page}");
    let (_, page) = c.page(&format!("/console/cases/{}", ok.id)).await;
    assert!(page.contains("verified purchase") && page.contains("warranty until 2028-12-03"), "{page}");

    // Bob cites Ana's order: refused, with its own problem type.
    let bob = Person::new(&v);
    let bob_service =
        bob.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support, Category::Product]).await;
    let stolen = claim(&bob, bob_service, SupportKind::ReturnRequest, &delivered);
    let refused = v.post(&stolen).await;
    assert_problem(&refused, 422, "unverified-purchase");
    assert!(refused.1["detail"].as_str().unwrap().contains("sent to someone else"), "{}", refused.1);

    // An order update signed by another key, or altered, is not the vendor's.
    let mut forged = delivered.clone();
    forged["body"]["warrantyUntil"] = "2035-01-01".into();
    assert_problem(
        &v.post(&claim(&ana, service, SupportKind::WarrantyClaim, &forged)).await,
        422,
        "unverified-purchase",
    );
    let other = TestVendor::start(Db::Sqlite).await;
    let elsewhere = {
        let carol = Person::new(&other);
        let q = carol.agreed(&other, AgreementId::PdcIntent, Purpose::Quote, &[Category::Intent]).await;
        let i = carol.intent(q, "Kettle");
        assert_eq!(other.post(&i).await.0, 200);
        let price = parley_protocol::Money { amount: "1".into(), currency: "EUR".into() };
        let o = console::offer(other.store(), &other.endpoint.key, &i.id.to_string(), price, "x", None)
            .await
            .unwrap();
        let mut a = carol.message(
            Body::OfferAcceptance(OfferAcceptance { offer: o["id"].as_str().unwrap().parse().unwrap() }),
            Some(q),
        );
        a.thread = Some(i.id);
        assert_eq!(other.post(&carol.sign(a)).await.0, 200);
        console::order_as(
            other.store(),
            &other.endpoint.key,
            o["id"].as_str().unwrap(),
            OrderStatus::Delivered,
            OrderUpdate::default(),
            None,
        )
        .await
        .unwrap()
    };
    let refused = v.post(&claim(&ana, service, SupportKind::WarrantyClaim, &elsewhere)).await;
    assert_problem(&refused, 422, "unverified-purchase");
    assert!(refused.1["detail"].as_str().unwrap().contains("not by this vendor"), "{}", refused.1);
}

//! Records: create, list, show, edit, delete, and refusals that name the field.

use parley_agent::records::consents::{ConsentFields, ConsentState};
use parley_agent::records::feedback::FeedbackFields;
use parley_agent::records::intents::{IntentFields, IntentState};
use parley_agent::records::products::ProductFields;
use parley_agent::records::support::{SupportFields, SupportState};
use parley_agent::records::vendors::VendorFields;
use parley_agent::records::{Money, Page};
use parley_agent::{Error, Vault};
use parley_protocol::{AgreementId, Category, Purpose};

use crate::new_vault;

fn field_of(e: Error) -> String {
    match e {
        Error::Invalid { field, .. } => field,
        other => panic!("expected a refusal naming a field, got: {other}"),
    }
}

async fn kettle(vault: &Vault) -> String {
    let fields = ProductFields {
        name: Some("Kettle K2".into()),
        vendor: Some("Acme".into()),
        serial: Some("SN1".into()),
        purchased: Some("2025-05-01".into()),
        price: Some(Money { amount: "79.90".into(), currency: "EUR".into() }),
        warranty_until: Some("2027-05-01".into()),
        ..Default::default()
    };
    vault.products().add(fields).await.unwrap().id.to_string()
}

#[tokio::test]
async fn products_round_trip_and_edit() {
    let (_d, vault) = new_vault().await;
    let id = kettle(&vault).await;
    let p = vault.products().get(&id[..6]).await.unwrap();
    assert_eq!(p.serial.as_deref(), Some("SN1"));
    let edited = vault
        .products()
        .update(
            &id,
            ProductFields {
                serial: Some(String::new()),
                notes: Some("descaled".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.serial, None, "an empty value clears an optional field");
    assert_eq!(edited.notes.as_deref(), Some("descaled"));
    assert_eq!(vault.products().list(Page::first(50)).await.unwrap(), vec![edited.clone()]);
    vault.products().delete(&id).await.unwrap();
    assert!(matches!(vault.products().get(&id).await, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn warranties_ending_within_30_days_soonest_first() {
    let (_d, vault) = new_vault().await;
    for (name, until) in [
        ("ended yesterday", Some("2026-11-22")),
        ("ends in 30 days", Some("2026-12-23")),
        ("ends today", Some("2026-11-23")),
        ("ends in 31 days", Some("2026-12-24")),
        ("no warranty date", None),
    ] {
        let fields = ProductFields {
            name: Some(name.into()),
            warranty_until: until.map(Into::into),
            ..Default::default()
        };
        vault.products().add(fields).await.unwrap();
    }
    let ending = vault.products().warranties_ending("2026-11-23").await.unwrap();
    let names: Vec<_> = ending.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ends today", "ends in 30 days"]);
    assert_eq!(field_of(vault.products().warranties_ending("23/11/2026").await.unwrap_err()), "today");
}

#[tokio::test]
async fn product_pages_follow_their_cursor_without_gaps_or_repeats() {
    let (_d, vault) = new_vault().await;
    for i in 0..7 {
        vault
            .products()
            .add(ProductFields { name: Some(format!("p{i}")), ..Default::default() })
            .await
            .unwrap();
    }
    let mut seen = Vec::new();
    let mut page = Page::first(3);
    loop {
        let batch = vault.products().list(page.clone()).await.unwrap();
        if batch.is_empty() {
            break;
        }
        page = Page::after(3, batch.last().unwrap().id.clone());
        seen.extend(batch.into_iter().map(|p| p.name));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 7, "every product once: {seen:?}");
    assert_eq!(sorted.len(), 7);
}

#[tokio::test]
async fn bad_values_are_refused_with_the_field_named() {
    let (_d, vault) = new_vault().await;
    let products = vault.products();
    let product = |f: ProductFields| products.add(f);
    let named = |n: &str| ProductFields { name: Some(n.into()), ..Default::default() };
    assert_eq!(field_of(product(ProductFields::default()).await.unwrap_err()), "name");
    assert_eq!(
        field_of(
            product(ProductFields { purchased: Some("2026-02-30".into()), ..named("x") }).await.unwrap_err()
        ),
        "purchased"
    );
    assert_eq!(
        field_of(
            product(ProductFields { warranty_until: Some("soon".into()), ..named("x") }).await.unwrap_err()
        ),
        "warranty-until"
    );
    let bad_price = Money { amount: "12,50".into(), currency: "EUR".into() };
    assert_eq!(
        field_of(product(ProductFields { price: Some(bad_price), ..named("x") }).await.unwrap_err()),
        "price.amount"
    );

    let id = kettle(&vault).await;
    let fb = |score, product: &str| FeedbackFields {
        product: Some(product.into()),
        score: Some(score),
        ..Default::default()
    };
    let err = vault.feedback().add(fb(11, &id)).await.unwrap_err();
    assert_eq!(err.to_string(), "score: 11 is not between 0 and 10");
    assert_eq!(field_of(vault.feedback().add(fb(-1, &id)).await.unwrap_err()), "score");
    let err = vault.feedback().add(fb(7, "deadbeef")).await.unwrap_err();
    assert_eq!(err.to_string(), "product: no product with id or name \"deadbeef\"");
    assert_eq!(
        field_of(
            vault.feedback().add(FeedbackFields { score: Some(5), ..Default::default() }).await.unwrap_err()
        ),
        "product"
    );

    let intent = IntentFields { what: Some("x".into()), by: Some("31/01/2027".into()), ..Default::default() };
    assert_eq!(field_of(vault.intents().add(intent).await.unwrap_err()), "by");
    let support = SupportFields {
        product: Some("0000aaaa".into()),
        subject: Some("s".into()),
        text: Some("t".into()),
        state: None,
        kind: None,
    };
    assert_eq!(field_of(vault.support().add(support).await.unwrap_err()), "product");
}

#[tokio::test]
async fn intents_follow_their_life_cycle() {
    let (_d, vault) = new_vault().await;
    let intent = vault
        .intents()
        .add(IntentFields {
            what: Some("espresso machine".into()),
            budget: Some(Money { amount: "300".into(), currency: "EUR".into() }),
            by: Some("2027-01-31".into()),
            constraints: Some(vec!["no pods".into()]),
            product: None,
            state: None,
        })
        .await
        .unwrap();
    assert_eq!(intent.state, IntentState::Draft);
    let state = |s| IntentFields { state: Some(s), ..Default::default() };
    vault.intents().update(&intent.id, state(IntentState::Sent)).await.unwrap();
    let err = vault
        .intents()
        .update(&intent.id, IntentFields { what: Some("grinder".into()), ..Default::default() })
        .await;
    assert!(matches!(err, Err(Error::Conflict(_))), "what was sent cannot be rewritten");
    assert_eq!(
        field_of(vault.intents().update(&intent.id, state(IntentState::Accepted)).await.unwrap_err()),
        "state"
    );
    vault.intents().update(&intent.id, state(IntentState::Withdrawn)).await.unwrap();
    assert_eq!(vault.intents().get(&intent.id).await.unwrap().constraints, vec!["no pods".to_string()]);
}

#[tokio::test]
async fn support_requests_and_feedback_refer_to_real_records() {
    let (_d, vault) = new_vault().await;
    let id = kettle(&vault).await;
    let vendor =
        vault.vendors().add(VendorFields { name: Some("Acme".into()), ..Default::default() }).await.unwrap();
    let req = vault
        .support()
        .add(SupportFields {
            product: Some(id.clone()),
            subject: Some("Leaks".into()),
            text: Some("Water under it".into()),
            state: None,
            kind: None,
        })
        .await
        .unwrap();
    let fb = vault
        .feedback()
        .add(FeedbackFields {
            vendor: Some("acme".into()),
            score: Some(3),
            text: Some("slow".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        fb.vendor_id.as_deref(),
        Some(vendor.id.as_str()),
        "vendors resolve by name, case-insensitively"
    );
    assert!(
        matches!(vault.products().delete(&id).await, Err(Error::Conflict(_))),
        "a product in use is not deleted"
    );
    vault
        .support()
        .update(&req.id, SupportFields { state: Some(SupportState::Closed), ..Default::default() })
        .await
        .unwrap();
    vault.support().delete(&req.id).await.unwrap();
    vault.products().delete(&id).await.unwrap();
}

#[tokio::test]
async fn vendors_are_unique_by_name_and_validated() {
    let (_d, vault) = new_vault().await;
    let vendors = vault.vendors();
    let add = |name: &str, url: Option<&str>| {
        vendors.add(VendorFields { name: Some(name.into()), url: url.map(Into::into), did: None })
    };
    add("Acme", Some("https://acme.example")).await.unwrap();
    assert!(matches!(add("ACME", None).await, Err(Error::Conflict(_))));
    assert_eq!(field_of(add("Other", Some("ftp://x")).await.unwrap_err()), "url");
    let bad_did = VendorFields { name: Some("D".into()), url: None, did: Some("did:web:x".into()) };
    assert_eq!(field_of(vault.vendors().add(bad_did).await.unwrap_err()), "did");
}

#[tokio::test]
async fn consents_are_audited_and_fixed_once_proffered() {
    let (_d, vault) = new_vault().await;
    let vendor =
        vault.vendors().add(VendorFields { name: Some("Acme".into()), ..Default::default() }).await.unwrap();
    let fields = ConsentFields {
        vendor: Some("Acme".into()),
        purpose: Some(Purpose::Improvement),
        categories: Some(vec![Category::Feedback, Category::Product]),
        retention_days: Some(365),
        ..Default::default()
    };
    let consent = vault.consents().add(fields.clone()).await.unwrap();
    assert_eq!(consent.agreement, AgreementId::SdBase, "the service-delivery baseline is the default");
    let twice =
        ConsentFields { categories: Some(vec![Category::Feedback, Category::Feedback]), ..fields.clone() };
    assert_eq!(field_of(vault.consents().add(twice).await.unwrap_err()), "categories");
    let long = ConsentFields { retention_days: Some(0), ..fields.clone() };
    assert_eq!(field_of(vault.consents().add(long).await.unwrap_err()), "retention-days");

    vault
        .consents()
        .update(&consent.id, ConsentFields { state: Some(ConsentState::Agreed), ..Default::default() })
        .await
        .unwrap();
    let widen = ConsentFields { categories: Some(vec![Category::Contact]), ..Default::default() };
    assert!(matches!(vault.consents().update(&consent.id, widen).await, Err(Error::Conflict(_))));
    assert!(
        matches!(vault.consents().delete(&consent.id).await, Err(Error::Conflict(_))),
        "an agreed consent is revoked, not deleted"
    );

    let log = vault.audit_log(Some(&vendor.id)).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["vendor.added", "consent.created", "consent.changed"]);
    assert_eq!(log[1].consent_id.as_deref(), Some(consent.id.as_str()));
    assert!(vault.verify_audit_log().await.unwrap().is_intact());
}

#[tokio::test]
async fn ids_resolve_from_unique_prefixes_only() {
    let (_d, vault) = new_vault().await;
    let id = kettle(&vault).await;
    assert_eq!(vault.products().get(&id[..4]).await.unwrap().id.as_str(), id);
    assert!(
        matches!(vault.products().get(&id[..3]).await, Err(Error::NotFound { .. })),
        "too short to be safe"
    );
    assert!(matches!(vault.products().get("'; DROP TABLE products; --").await, Err(Error::NotFound { .. })));
}

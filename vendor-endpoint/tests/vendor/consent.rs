//! consent → agreement → messages → revocation → deletion receipt, with the data gone.

use parley_protocol::{AgreementId, Body, Category, Decision, Purpose};

use crate::common::{vendor_signed, Db, Person, TestVendor};

crate::on_both_stores!(
    full_consent_life_cycle_ends_with_the_data_gone,
    answers_are_signed_alternatives_and_refusals
);

async fn full_consent_life_cycle_ends_with_the_data_gone(db: Db) {
    let v = TestVendor::start(db).await;
    let p = Person::new(&v);
    let grant = p.grant(AgreementId::SdBase, Purpose::Service, &[Category::Support, Category::Feedback]);
    let (status, answer) = v.post(&grant).await;
    assert_eq!(status, 200, "{answer}");
    let agreement = vendor_signed(&v, &answer["answer"], &p.did());
    let Body::ConsentAgreement(a) = &agreement.body else { panic!("a ConsentAgreement answers a grant") };
    assert_eq!((a.decision, a.agreement), (Decision::Accepted, Some(AgreementId::SdBase)));
    assert_eq!(a.grant, grant.id.into());
    let consent = grant.id.into();

    let support = p.support(consent, "SN1 leaks");
    let feedback = p.feedback(consent, 4, "leaky");
    for m in [&support, &feedback] {
        let (status, answer) = v.post(m).await;
        assert_eq!(status, 200, "{answer}");
    }
    // The vendor answers; the answer is held for the person's inbox.
    parley_vendor::console::reply(
        v.store(),
        &v.endpoint.key,
        &support.id.to_string(),
        "A new seal is on its way",
    )
    .await
    .unwrap();
    assert_eq!(v.store().inbox(&p.did(), None).await.unwrap().len(), 1);

    // An unrelated person's data must survive this person's revocation.
    let q = Person::new(&v);
    let q_consent = q.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    let q_support = q.support(q_consent, "mine stays");
    assert_eq!(v.post(&q_support).await.0, 200);

    let revoke = p.sign(p.message(Body::ConsentRevocation(Default::default()), Some(consent)));
    let (status, answer) = v.post(&revoke).await;
    assert_eq!(status, 200, "{answer}");
    let receipt = vendor_signed(&v, &answer["answer"], &p.did());
    let Body::DeletionReceipt(d) = &receipt.body else { panic!("a DeletionReceipt answers a revocation") };
    assert_eq!(d.consent, consent);
    let mut deleted: Vec<String> = d.deleted.iter().map(|i| i.to_string()).collect();
    deleted.sort();
    let mut expected = vec![support.id.to_string(), feedback.id.to_string()];
    expected.sort();
    assert_eq!(deleted, expected, "the receipt lists exactly what was deleted");

    // Gone from the store: the messages, the reply, every byte of the text.
    let left = v.store().messages(None, 1000).await.unwrap();
    assert!(left.iter().all(|m| m.id != support.id.to_string() && m.id != feedback.id.to_string()));
    assert!(!serde_json::to_string(&left).unwrap().contains("SN1 leaks"));
    assert!(
        v.store().inbox(&p.did(), None).await.unwrap().is_empty(),
        "replies under the consent are gone too"
    );
    assert!(left.iter().any(|m| m.id == q_support.id.to_string()), "another person's data stays");
    assert_eq!(v.store().consent(&consent.to_string()).await.unwrap().unwrap().state, "revoked");
    // Redelivering the revocation returns the same deletion receipt.
    assert_eq!(v.post(&revoke).await.1, answer);
}

async fn answers_are_signed_alternatives_and_refusals(db: Db) {
    let v = TestVendor::start_with(db, vec![AgreementId::SdBase]).await;
    let p = Person::new(&v);
    let decide = |agreement, purpose| {
        let g = p.grant(agreement, purpose, &[Category::Intent]);
        let v = &v;
        let p = &p;
        async move {
            let (status, answer) = v.post(&g).await;
            assert_eq!(status, 200);
            let signed = vendor_signed(v, &answer["answer"], &p.did());
            let Body::ConsentAgreement(a) = signed.into_inner().body else { panic!() };
            (a.decision, a.agreement, a.reason.is_some())
        }
    };
    assert_eq!(
        decide(AgreementId::SdBaseDp, Purpose::Service).await,
        (Decision::Alternative, Some(AgreementId::SdBase), true)
    );
    assert_eq!(decide(AgreementId::PdcIntent, Purpose::Quote).await, (Decision::Refused, None, true));
}

//! Full-text search.

use parley_agent::records::feedback::FeedbackFields;
use parley_agent::records::intents::IntentFields;
use parley_agent::records::products::ProductFields;
use parley_agent::records::support::SupportFields;

use crate::new_vault;

#[tokio::test]
async fn finds_records_of_every_kind_and_follows_changes() {
    let (_d, vault) = new_vault().await;
    let p = vault
        .products()
        .add(ProductFields {
            name: Some("Kettle K2".into()),
            notes: Some("Limescale filter".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    vault
        .intents()
        .add(IntentFields {
            what: Some("Espresso machine".into()),
            constraints: Some(vec!["stainless steel".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    vault
        .feedback()
        .add(FeedbackFields {
            product: Some(p.id.to_string()),
            score: Some(8),
            text: Some("Boils fast".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    vault
        .support()
        .add(SupportFields {
            product: Some(p.id.to_string()),
            subject: Some("Lid hinge".into()),
            text: Some("The lid does not close".into()),
            state: None,
            kind: None,
        })
        .await
        .unwrap();

    let kinds = |hits: Vec<parley_agent::search::SearchHit>| {
        hits.into_iter().map(|h| h.kind.as_str()).collect::<Vec<_>>()
    };
    assert_eq!(kinds(vault.search("limesc", 10).await.unwrap()), ["product"], "prefix match in notes");
    assert_eq!(kinds(vault.search("stainless", 10).await.unwrap()), ["intent"]);
    assert_eq!(kinds(vault.search("boils", 10).await.unwrap()), ["feedback"]);
    assert_eq!(kinds(vault.search("lid close", 10).await.unwrap()), ["support"], "all words must match");
    assert!(vault.search("lid espresso", 10).await.unwrap().is_empty());
    assert!(
        vault.search("\"unbalanced (AND", 10).await.unwrap().is_empty(),
        "query syntax in input is harmless"
    );

    vault
        .products()
        .update(&p.id, ProductFields { notes: Some("Descaled".into()), ..Default::default() })
        .await
        .unwrap();
    assert!(vault.search("limescale", 10).await.unwrap().is_empty(), "edits update the index");
    assert_eq!(kinds(vault.search("descaled", 10).await.unwrap()), ["product"]);
}

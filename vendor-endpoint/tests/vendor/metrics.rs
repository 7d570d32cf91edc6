//! `GET /metrics`: what an operator's Prometheus scrapes, counted from real requests.

use parley_protocol::{AgreementId, Category, Purpose};

use crate::common::{Db, Person, TestVendor};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_refusals_and_batches() {
    let v = TestVendor::start(Db::Sqlite).await;
    let p = Person::new(&v);
    let consent = p.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
    for i in 0..3 {
        assert_eq!(v.post(&p.support(consent, &format!("note {i}"))).await.0, 200);
    }
    assert_eq!(v.post_raw("/parley/v1/messages", b"{not json".to_vec()).await.0, 400);

    let response = reqwest::get(format!("{}/metrics", v.url)).await.unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let text = response.text().await.unwrap();
    // The grant and three messages, each answered 200; one malformed body refused.
    assert!(
        text.contains(
            "parley_requests_total{method=\"POST\",route=\"/parley/v1/messages\",status=\"200\"} 4\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "parley_requests_total{method=\"POST\",route=\"/parley/v1/messages\",status=\"400\"} 1\n"
        ),
        "{text}"
    );
    assert!(text.contains("parley_refusals_total{kind=\"malformed-json\"} 1\n"), "{text}");
    assert!(
        text.contains("parley_request_duration_seconds_count{route=\"/parley/v1/messages\"} 5\n"),
        "{text}"
    );
    let jobs: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("parley_write_batch_jobs_total "))
        .and_then(|n| n.parse().ok())
        .expect("the batch counter");
    assert_eq!(jobs, 4, "the grant and three messages went through the group-commit writer");
}

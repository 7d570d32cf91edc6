//! The console's reads with 100,000 cases in the store: the first page of the case
//! list (unfiltered and under each filter) and the weekly NPS series, timed in this
//! process as the server runs them (no HTTP).
//!
//!     cargo bench -p parley-vendor --bench console
//!     PARLEY_BENCH_CASES=100000 PARLEY_BENCH_DATABASE_URL=postgres://… cargo bench -p parley-vendor --bench console
//!
//! The cases are written straight into the schema the store migrated (a year of
//! support requests, feedback and intents over 40 product models, a tenth assigned;
//! alerts on detractors and support requests; everything older than two weeks answered
//! within two days and resolved, four in five answers pulled),
//! in batched transactions: making 100,000 signed messages go through the endpoint
//! would measure ingest, which the `load` benchmark does. The per-day NPS counts are
//! summed from those cases, as the writer would have counted them. SQLite always; PostgreSQL too
//! when PARLEY_BENCH_DATABASE_URL (or PARLEY_TEST_DATABASE_URL) names a server.

use std::time::{Duration, Instant};

use parley_protocol::Timestamp;
use parley_vendor::store::cases::{CaseFilter, CaseState, ScoreBand};
use parley_vendor::store::insights::Period;
use parley_vendor::store::staff::Role;
use parley_vendor::Store;
use sqlx::Connection;
use time::OffsetDateTime;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const WORDS: [&str; 12] = [
    "leak", "lid", "noise", "late", "broken", "refund", "cord", "scale", "handle", "switch", "rust", "smell",
];

async fn fill(store: &Store, url: &str, n: usize) {
    let staff = store.add_staff("ana@acme.example", Role::Agent, "a long staff password").await.unwrap();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let now = OffsetDateTime::now_utc();
    let start = now - time::Duration::days(365);
    let mut i = 0;
    while i < n {
        let mut tx = conn.begin().await.unwrap();
        for j in i..(i + 1000).min(n) {
            let id = format!("urn:uuid:00000000-0000-4000-8000-{j:012x}");
            let kind = ["Feedback", "Feedback", "SupportRequest", "Intent"][j % 4];
            let score = (kind == "Feedback").then_some(((j * 7) % 11) as i64);
            let at = start + time::Duration::seconds((j as i64 * 31_536_000) / n as i64);
            let received = Timestamp::from(at).to_string();
            let words = format!("{} {} model k{}", WORDS[j % 12], WORDS[(j / 12) % 12], j % 40);
            // A team that keeps up: what is older than two weeks was answered within
            // two days and resolved; the last two weeks are still being worked.
            let recent = at > now - time::Duration::days(14);
            let state = if recent { ["new", "open", "waiting", "resolved"][(j / 4) % 4] } else { "resolved" };
            let answered = (!recent || matches!(state, "waiting" | "resolved"))
                .then(|| Timestamp::from(at + time::Duration::minutes((j % 2880) as i64)).to_string());
            let alerted = kind == "SupportRequest" || score.is_some_and(|s| s <= 6);
            let due = (alerted && answered.is_none())
                .then(|| Timestamp::from(at + time::Duration::hours(24)).to_string());
            sqlx::query(
                "INSERT INTO cases (id, kind, sender, consent_id, state, priority, assignee, score, product_model,
                 title, search_text, received, updated, first_response, due)
                 VALUES ($1, $2, $3, $4, $5, 'normal', $6, $7, $8, $9, $10, $11, $11, $12, $13)",
            )
            .bind(&id)
            .bind(kind)
            .bind(format!("did:key:person{}", j % 5000))
            .bind(format!("urn:uuid:10000000-0000-4000-8000-{:012x}", j % 5000))
            .bind(state)
            .bind((j % 10 == 0).then(|| staff.id.clone()))
            .bind(score)
            .bind(format!("K{}", j % 40))
            .bind(&words)
            .bind(&words)
            .bind(&received)
            .bind(&answered)
            .bind(&due)
            .execute(&mut *tx)
            .await
            .unwrap();
            if alerted {
                sqlx::query("INSERT INTO alerts (case_id, rule_id, raised) VALUES ($1, $2, $3)")
                    .bind(&id)
                    .bind(if kind == "Feedback" { "detractor" } else { "support" })
                    .bind(&received)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            if let Some(answered) = &answered {
                sqlx::query(
                    "INSERT INTO outbox (id, kind, recipient, consent_id, in_reply_to, document, created, author, pulled)
                     VALUES ($1, 'Reply', $2, $3, $4, '{}', $5, $6, $7)",
                )
                .bind(format!("urn:uuid:20000000-0000-4000-8000-{j:012x}"))
                .bind(format!("did:key:person{}", j % 5000))
                .bind(format!("urn:uuid:10000000-0000-4000-8000-{:012x}", j % 5000))
                .bind(&id)
                .bind(answered)
                .bind(&staff.id)
                .bind((j % 5 != 0).then(|| answered.clone()))
                .execute(&mut *tx)
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
        i += 1000;
    }
    // The per-day NPS counts the writer keeps in step with the cases it opens.
    sqlx::query(
        "INSERT INTO nps_days (day, product_model, promoters, passives, detractors)
         SELECT substr(received, 1, 10), COALESCE(product_model, ''),
                SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), SUM(CASE WHEN score BETWEEN 7 AND 8 THEN 1 ELSE 0 END),
                SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END)
         FROM cases WHERE score IS NOT NULL GROUP BY substr(received, 1, 10), COALESCE(product_model, '')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    // What PostgreSQL's autovacuum does soon after a bulk load (statistics, and the
    // visibility map that lets an index answer alone); SQLite's planner needs no
    // statistics for these queries.
    if url.starts_with("postgres") {
        for table in ["cases", "nps_days", "alerts", "outbox"] {
            sqlx::query(&format!("VACUUM ANALYZE {table}")).execute(&mut conn).await.unwrap();
        }
    }
    conn.close().await.unwrap();
}

/// Runs `f` `runs` times; (min, median, max).
async fn time<F, Fut>(runs: usize, mut f: F) -> (Duration, Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut took = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let n = f().await;
        took.push(t.elapsed());
        assert!(n > 0, "every query here finds something");
    }
    took.sort();
    (took[0], took[runs / 2], took[runs - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn run(label: &str, url: &str, n: usize) {
    let store = Store::connect(url).await.unwrap();
    let filled = Instant::now();
    fill(&store, url, n).await;
    println!("\n{label}: {n} cases written in {:.1} s", filled.elapsed().as_secs_f64());
    // What `serve` does hourly.
    store.refresh_statistics().await.unwrap();
    let year_ago = (OffsetDateTime::now_utc() - time::Duration::days(366)).date().to_string();
    let filters: Vec<(&str, CaseFilter)> = vec![
        ("first page, no filter", CaseFilter::default()),
        ("state = new", CaseFilter { state: Some(CaseState::New), ..Default::default() }),
        (
            "feedback, detractors",
            CaseFilter {
                kind: Some("Feedback".into()),
                band: Some(ScoreBand::Detractor),
                ..Default::default()
            },
        ),
        ("product model K7", CaseFilter { product: Some("K7".into()), ..Default::default() }),
        (
            "owner ana@acme.example",
            CaseFilter { assignee: Some("ana@acme.example".into()), ..Default::default() },
        ),
        ("overdue", CaseFilter { overdue: true, ..Default::default() }),
        ("text \"refund handle\"", CaseFilter { text: Some("refund handle".into()), ..Default::default() }),
        // The worst case: every case's text is read, and none matches.
        ("text matching nothing", CaseFilter { text: Some("xylophone".into()), ..Default::default() }),
    ];
    println!("{:<36} {:>10} {:>10} {:>10}", "query (50 per page)", "min", "median", "max");
    for (name, filter) in filters {
        let (min, median, max) =
            time(30, || async { store.cases(&filter).await.unwrap().len().max(1) }).await;
        println!("{name:<36} {:>10} {:>10} {:>10}", ms(min), ms(median), ms(max));
    }
    let (min, median, max) = time(30, || async {
        store.nps_series(Period::Week, None, Some(&year_ago), None).await.unwrap().len()
    })
    .await;
    println!("{:<36} {:>10} {:>10} {:>10}", "NPS weekly, a year", ms(min), ms(median), ms(max));
    let (min, median, max) = time(30, || async {
        store.nps_series(Period::Week, Some("K8"), Some(&year_ago), None).await.unwrap().len()
    })
    .await;
    println!("{:<36} {:>10} {:>10} {:>10}", "NPS weekly, a year, model K8", ms(min), ms(median), ms(max));
    let (min, median, max) =
        time(30, || async { store.dashboard().await.unwrap().open_alerts.len().max(1) }).await;
    println!("{:<36} {:>10} {:>10} {:>10}", "dashboard", ms(min), ms(median), ms(max));
    store.close().await;
}

fn main() {
    let n = env_usize("PARLEY_BENCH_CASES", 100_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();

        let url = format!("sqlite://{}?mode=rwc", dir.path().join("vendor.db").display());
        run("SQLite", &url, n).await;
        let pg =
            std::env::var("PARLEY_BENCH_DATABASE_URL").or_else(|_| std::env::var("PARLEY_TEST_DATABASE_URL"));
        if let Ok(admin) = pg {
            let name = format!("parley_bench_console_{}", std::process::id());
            let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut c).await.unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
            run("PostgreSQL", &format!("{base}/{name}"), n).await;
            let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut c).await;
        }
    });
}

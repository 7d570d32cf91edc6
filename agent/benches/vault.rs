//! Vault workload at 100,000 products, on the encrypted vault and on the same schema and
//! code over plain SQLite, in one run, so encryption's cost is a ratio.
//!
//!     cargo bench -p parley-agent --bench vault            # 100,000 products
//!     PARLEY_BENCH_PRODUCTS=20000 cargo bench -p parley-agent --bench vault
//!
//! Reports: insert rate (batches of 1,000 per transaction, the two stores in turn), time
//! to list a page of 50 (the first, and one in the middle by cursor), and full-text
//! search latency (a common and a rare word). Latencies are medians of repeated runs,
//! the better of two alternating rounds per store.

use std::time::{Duration, Instant};

use parley_agent::ids::ProductId;
use parley_agent::records::products::Product;
use parley_agent::records::{Money, Page};
use parley_agent::{KdfParams, Passphrase, Vault};

const WORDS: [&str; 16] = [
    "kettle", "lamp", "chair", "drill", "router", "phone", "blender", "heater", "speaker", "camera",
    "bicycle", "monitor", "printer", "toaster", "vacuum", "watch",
];

fn product(i: usize) -> Product {
    let word = WORDS[i % WORDS.len()];
    // One product in 1,000 carries a rare word, to measure a selective search.
    let rare = if i % 1000 == 7 { " zephyrine" } else { "" };
    Product {
        id: ProductId::parse(&format!("{:08x}-0000-4000-8000-{:012x}", i, i)).expect("a whole id"),
        name: format!("{word} model {}", i % 977),
        vendor: Some(format!("Vendor {}", i % 313)),
        model: Some(format!("M-{}", i % 4099)),
        serial: Some(format!("SN{i:09}")),
        purchased: Some("2025-03-14".into()),
        price: Some(Money { amount: format!("{}.99", 10 + i % 500), currency: "EUR".into() }),
        warranty_until: Some("2027-03-14".into()),
        notes: Some(format!("bought for the {word} corner, works well{rare}")),
        order_status: None,
        has_proof: false,
        created: format!("2026-01-01T00:{:02}:{:02}Z", (i / 60) % 60, i % 60),
        updated: "2026-01-01T00:00:00Z".into(),
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn time_n<F, Fut>(n: usize, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await;
        samples.push(t.elapsed());
    }
    median(samples)
}

struct Figures {
    insert_per_s: f64,
    first_page: Duration,
    middle_page: Duration,
    search_common: Duration,
    search_rare: Duration,
}

/// Fills both vaults, batch by batch in turn, so neither gets a quieter machine.
async fn fill(vaults: [&Vault; 2], n: usize) -> [f64; 2] {
    let batch = 1000;
    let mut spent = [Duration::ZERO; 2];
    for chunk_start in (0..n).step_by(batch) {
        let products: Vec<Product> = (chunk_start..(chunk_start + batch).min(n)).map(product).collect();
        for (i, vault) in vaults.iter().enumerate() {
            let t = Instant::now();
            vault.products().insert_batch(&products).await.expect("insert");
            spent[i] += t.elapsed();
        }
    }
    for vault in vaults {
        assert_eq!(vault.products().count().await.unwrap() as usize, n);
    }
    spent.map(|d| n as f64 / d.as_secs_f64())
}

async fn workload(vault: &Vault, n: usize, insert_per_s: f64) -> Figures {
    // The cursor for a page in the middle: the product at position n/2 in list order.
    let middle = vault.products().list(Page::first(n as u32 / 2)).await.unwrap().pop().unwrap().id;
    let first_page = time_n(50, || async {
        assert_eq!(vault.products().list(Page::first(50)).await.unwrap().len(), 50);
    })
    .await;
    let middle_page = time_n(50, || async {
        assert_eq!(vault.products().list(Page::after(50, middle.clone())).await.unwrap().len(), 50);
    })
    .await;
    let search_common = time_n(30, || async {
        assert_eq!(vault.search("toaster corner", 20).await.unwrap().len(), 20);
    })
    .await;
    let search_rare = time_n(30, || async {
        assert!(!vault.search("zephyrine", 20).await.unwrap().is_empty());
    })
    .await;
    Figures { insert_per_s, first_page, middle_page, search_common, search_rare }
}

impl Figures {
    fn best(self, o: Figures) -> Figures {
        Figures {
            insert_per_s: self.insert_per_s,
            first_page: self.first_page.min(o.first_page),
            middle_page: self.middle_page.min(o.middle_page),
            search_common: self.search_common.min(o.search_common),
            search_rare: self.search_rare.min(o.search_rare),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let n: usize =
        std::env::var("PARLEY_BENCH_PRODUCTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let enc_dir = tempfile::tempdir().unwrap();
        let pass = Passphrase::new("bench").unwrap();
        let encrypted = Vault::create(enc_dir.path(), &pass, KdfParams::INSECURE_FOR_TESTS).await.unwrap();
        let plain_dir = tempfile::tempdir().unwrap();
        let plain = Vault::create_plaintext_for_benchmark(plain_dir.path()).await.unwrap();

        println!("vault benchmark: {n} products, batches of 1000, medians of repeated runs");
        let [enc_rate, plain_rate] = fill([&encrypted, &plain], n).await;
        // Measured twice each, alternating, keeping the better (less disturbed) run.
        let mut e = workload(&encrypted, n, enc_rate).await;
        let mut p = workload(&plain, n, plain_rate).await;
        let (e2, p2) = (workload(&encrypted, n, enc_rate).await, workload(&plain, n, plain_rate).await);
        e = e.best(e2);
        p = p.best(p2);

        println!("{:<28} {:>14} {:>14} {:>10}", "", "SQLCipher", "plain SQLite", "ratio");
        println!(
            "{:<28} {:>14} {:>14} {:>9.2}x",
            "insert (products/s)",
            format!("{:.0}", e.insert_per_s),
            format!("{:.0}", p.insert_per_s),
            p.insert_per_s / e.insert_per_s
        );
        for (label, a, b) in [
            ("list first page of 50", e.first_page, p.first_page),
            ("list middle page of 50", e.middle_page, p.middle_page),
            ("search common (20 hits)", e.search_common, p.search_common),
            ("search rare word", e.search_rare, p.search_rare),
        ] {
            println!("{label:<28} {:>14} {:>14} {:>9.2}x", ms(a), ms(b), a.as_secs_f64() / b.as_secs_f64());
        }
        encrypted.close().await;
        plain.close().await;
    });
}

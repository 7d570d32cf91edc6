//! What an operator watches, at `GET /metrics` in Prometheus' text exposition format:
//! requests by method, route and status with their latency by route, refusals by problem kind, and the
//! group-commit writer's batches. One set per endpoint instance (each instance behind a
//! load balancer is scraped on its own).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Latency buckets, in seconds: from a millisecond to the request time limit.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// The counters.
#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) → requests.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// route → request latency.
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// problem kind → refusals.
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    batches: AtomicU64,
    batched_jobs: AtomicU64,
    failed_batches: AtomicU64,
}

/// The problem kind of a refused request, left in the response's extensions by
/// [`crate::problem::Problem`] for the metrics layer to count.
#[derive(Debug, Clone, Copy)]
pub struct Refusal(pub &'static str);

impl Metrics {
    /// One request answered.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_owned()).or_default();
            let seconds = took.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        }
    }

    /// One refusal, by its problem kind.
    pub fn refusal(&self, kind: &'static str) {
        if let Ok(mut r) = self.refusals.lock() {
            *r.entry(kind).or_default() += 1;
        }
    }

    /// One group-commit batch of `jobs` requests, committed or not.
    pub fn batch(&self, jobs: usize, committed: bool) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.batched_jobs.fetch_add(jobs as u64, Ordering::Relaxed);
        if !committed {
            self.failed_batches.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Requests answered so far: (method, route, status) → how many.
    pub fn answered(&self) -> BTreeMap<(String, String, u16), u64> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP parley_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE parley_requests_total counter\n");
        for ((method, route, status), n) in self.answered() {
            let _ = writeln!(
                out,
                "parley_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP parley_request_duration_seconds Time to answer a request, by route.\n");
        out.push_str("# TYPE parley_request_duration_seconds histogram\n");
        if let Ok(latency) = self.latency.lock() {
            for (route, h) in latency.iter() {
                for (bound, n) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(
                        out,
                        "parley_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "parley_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(out, "parley_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
                let _ =
                    writeln!(out, "parley_request_duration_seconds_count{{route=\"{route}\"}} {}", h.count);
            }
        }
        out.push_str("# HELP parley_refusals_total Requests refused with a problem document, by kind.\n");
        out.push_str("# TYPE parley_refusals_total counter\n");
        for (kind, n) in self.refusals.lock().map(|r| r.clone()).unwrap_or_default() {
            let _ = writeln!(out, "parley_refusals_total{{kind=\"{kind}\"}} {n}");
        }
        for (name, help, value) in [
            (
                "parley_write_batches_total",
                "Group-commit batches (one transaction, one fsync each).",
                &self.batches,
            ),
            ("parley_write_batch_jobs_total", "Requests carried by those batches.", &self.batched_jobs),
            (
                "parley_write_batches_failed_total",
                "Batches whose transaction failed as a whole.",
                &self.failed_batches,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms_in_the_text_format() {
        let m = Metrics::default();
        m.request("POST", "/parley/v1/messages", 200, Duration::from_millis(3));
        m.request("POST", "/parley/v1/messages", 200, Duration::from_millis(40));
        m.refusal("no-consent");
        m.batch(7, true);
        let text = m.render();
        assert!(
            text.contains(
                "parley_requests_total{method=\"POST\",route=\"/parley/v1/messages\",status=\"200\"} 2\n"
            ),
            "{text}"
        );
        assert!(text.contains(
            "parley_request_duration_seconds_bucket{route=\"/parley/v1/messages\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains(
            "parley_request_duration_seconds_bucket{route=\"/parley/v1/messages\",le=\"+Inf\"} 2\n"
        ));
        assert!(text.contains("parley_refusals_total{kind=\"no-consent\"} 1\n"));
        assert!(text.contains("parley_write_batch_jobs_total 7\n"));
    }
}

//! HTTP to vendors' endpoints: fetch a descriptor, post a message, post an inbox query.
//!
//! Only this module speaks HTTP. It knows nothing of the vault: it turns an exchange into
//! a [`Posted`] outcome (the vendor's JSON answer, a refusal with its problem `type`, or
//! a transient failure worth retrying) and leaves verification and storage to callers.
//! URLs must be `https://` (rustls, webpki roots) or plain `http://` to a loopback
//! address; redirects are not followed, so an answer always comes from the URL asked.

use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use crate::error::{Error, Result};

/// Largest answer read from a vendor: a descriptor, a receipt with its answer, or an
/// inbox page.
const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// Checks that `url` may carry Parley traffic: HTTPS anywhere, plain HTTP only to this
/// machine (a vendor on a loopback port while testing or demonstrating).
pub fn check_endpoint(field: &str, url: &str) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| Error::invalid(field, format!("{url:?} is not a URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(Error::invalid(
            field,
            format!("{url} uses plain http://, allowed only for loopback addresses: use https://"),
        )),
        other => Err(Error::invalid(field, format!("{url}: scheme {other}:// is not http(s)"))),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What came of one POST.
#[derive(Debug)]
pub(crate) enum Posted {
    /// `200` with a JSON body.
    Answered(Value),
    /// A `4xx` the vendor will give again for the same message: do not retry.
    Refused {
        /// The problem `type`'s last segment (`no-consent`), or the status.
        kind: String,
        /// The problem's `detail`, or its title.
        detail: String,
    },
    /// Unreachable, slow, `5xx`, `408` or `429`: retry later.
    Transient(String),
}

/// An HTTP client with bounded time for every exchange.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: reqwest::Client,
}

impl Transport {
    pub(crate) fn new() -> Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            // Shorter than the 5 s a Parley endpoint keeps an idle connection open, so a
            // request never goes out on a connection the server is closing.
            .pool_idle_timeout(Duration::from_secs(4))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("parley/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Unreachable { vendor: "any vendor".into(), reason: e.to_string() })?;
        Ok(Self { client })
    }

    /// `GET base/.well-known/parley`: the raw descriptor bytes.
    pub(crate) async fn descriptor(&self, base: &str) -> Result<Vec<u8>> {
        let url = check_endpoint("url", base)?;
        let url =
            url.join("/.well-known/parley").map_err(|e| Error::invalid("url", format!("{base}: {e}")))?;
        let unreachable = |reason: String| Error::Unreachable { vendor: base.to_owned(), reason };
        let response = self.client.get(url.clone()).send().await.map_err(|e| unreachable(describe(&e)))?;
        let status = response.status();
        let body = read_bounded(response).await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(unreachable(format!("{url} answered {status}")));
        }
        Ok(body)
    }

    /// `POST` one signed message (or inbox query) to `url`.
    pub(crate) async fn post(&self, url: &str, body: &str) -> Result<Posted> {
        let url = check_endpoint("url", url)?;
        let sent = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return Ok(Posted::Transient(describe(&e))),
        };
        let status = response.status();
        let bytes = match read_bounded(response).await {
            Ok(b) => b,
            Err(reason) => return Ok(Posted::Transient(reason)),
        };
        let json: Option<Value> = serde_json::from_slice(&bytes).ok();
        if status.is_success() {
            return Ok(match json {
                Some(v) => Posted::Answered(v),
                None => Posted::Transient(format!("answered {status} with a body that is not JSON")),
            });
        }
        let problem = |field: &str| json.as_ref().and_then(|v| v[field].as_str()).map(str::to_owned);
        let kind = problem("type")
            .map(|t| t.rsplit(':').next().unwrap_or(&t).to_owned())
            .unwrap_or_else(|| status.as_u16().to_string());
        let detail = problem("detail").or_else(|| problem("title")).unwrap_or_else(|| status.to_string());
        let retry = status.is_server_error()
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
        Ok(if retry {
            Posted::Transient(format!("answered {status}: {detail}"))
        } else {
            Posted::Refused { kind, detail }
        })
    }
}

async fn read_bounded(mut response: reqwest::Response) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if out.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("answer larger than {MAX_ANSWER} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// One line about a failed request, without reqwest's nested "error sending request".
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {cause}")
    }
}

#[cfg(test)]
mod tests {
    use super::check_endpoint;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_endpoint("url", "https://acme.example").is_ok());
        assert!(check_endpoint("url", "http://127.0.0.1:8080").is_ok());
        assert!(check_endpoint("url", "http://[::1]:8080/x").is_ok());
        assert!(check_endpoint("url", "http://localhost:1").is_ok());
        assert!(check_endpoint("url", "http://acme.example").is_err(), "plain http to the internet");
        assert!(check_endpoint("url", "http://10.0.0.1").is_err(), "private is not loopback");
        assert!(check_endpoint("url", "ftp://127.0.0.1").is_err());
        assert!(check_endpoint("url", "not a url").is_err());
    }
}

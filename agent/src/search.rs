//! Full-text search across products, intents, feedback and support requests, with
//! SQLite FTS5 inside the encrypted database (the index is as encrypted as the rest).
//!
//! What the person types is never passed to FTS5's query language as is: each word is
//! quoted and prefix-matched, so `kettle "2l` finds things instead of failing on syntax.

use serde::Serialize;
use sqlx::Row;

use crate::error::Result;
use crate::ids::{RecordId, RecordKind};
use crate::records::products::Product;
use crate::records::stored;
use crate::vault::Vault;

/// One match.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// A product, intent, feedback or support request.
    pub kind: RecordKind,
    /// The record's id.
    pub id: RecordId,
    /// Its title line.
    pub title: String,
    /// The matching text, matches in [brackets].
    pub snippet: String,
}

/// Turns free text into an FTS5 query: every word must appear, as a word prefix.
fn to_fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

impl Vault {
    /// Records matching every word of `text`, best first.
    pub async fn search(&self, text: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let Some(query) = to_fts_query(text) else { return Ok(Vec::new()) };
        let rows = sqlx::query(
            "SELECT kind, record_id, coalesce(title, '') AS title,
                    snippet(search_index, -1, '[', ']', '…', 12) AS snippet
             FROM search_index WHERE search_index MATCH ? ORDER BY bm25(search_index, 0, 0, 4, 1) LIMIT ?",
        )
        .bind(query)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(|e| self.classify(e))?;
        rows.iter()
            .map(|r| {
                Ok(SearchHit {
                    kind: stored("search_index", "kind", r.get::<String, _>("kind"))?,
                    id: r.get("record_id"),
                    title: r.get("title"),
                    snippet: r.get("snippet"),
                })
            })
            .collect()
    }

    /// Products matching every word of `text`, best first (at most `limit`; 0: 200).
    pub async fn search_products(&self, text: &str, limit: u32) -> Result<Vec<Product>> {
        let mut out = Vec::new();
        for hit in self.search(text, if limit == 0 { 200 } else { limit }).await? {
            if let Some(product) = hit.id.product(hit.kind) {
                out.push(self.products().by_id(&product).await?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::to_fts_query;

    #[test]
    fn user_text_becomes_quoted_prefix_terms() {
        assert_eq!(to_fts_query("kettle K2").unwrap(), "\"kettle\"* \"K2\"*");
        assert_eq!(to_fts_query("  \"unbalanced AND (").unwrap(), "\"unbalanced\"* \"AND\"*");
        assert_eq!(to_fts_query("!!!"), None);
    }
}

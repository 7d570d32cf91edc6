//! The shapes of the writer's set-wise statements: multi-row `VALUES` lists and `IN`
//! lists, in a handful of sizes only.
//!
//! Why the sizes: each connection keeps its prepared statements in a cache of 100, keyed
//! by the SQL text. A statement for every batch size (1 to 256 rows) would evict the
//! others and prepare again on most batches — on SQLite, on the writer's one thread.
//! So a run of rows goes out in chunks of [`WIDEST`] and then in powers of two, and an
//! `IN` list is padded to the next power of two by repeating its last value (which
//! selects nothing more): seven texts per insert, nine per lookup at most.
//!
//! Why `?` on SQLite: sqlx binds each parameter by asking SQLite its name, and SQLite
//! finds a `$N` name by walking the statement's list of names — per parameter, per
//! execution, so quadratic in a 700-parameter insert (3% of the server's CPU under load).
//! Anonymous `?`s have no name to walk to and are bound in the order they appear, which
//! is the order these statements number them in anyway.

use super::Backend;

/// The most rows one statement carries.
pub(crate) const WIDEST: usize = 64;

/// `n` parameters, the statement's `from`th to its `from + n - 1`th: `$from, $from+1, …`
/// on PostgreSQL, `?, ?, …` on SQLite (so they must come in binding order).
pub(crate) fn placeholders(backend: Backend, from: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
    }
}

/// `($1, …, $width), ($width+1, …), …` for `rows` rows of `width` parameters (`?`s on
/// SQLite, as [`placeholders`]).
pub(crate) fn values(backend: Backend, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(backend, 1 + r * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `items` cut into chunks of [`WIDEST`], then of decreasing powers of two: 100 rows go
/// as 64 + 32 + 4.
pub(crate) fn chunks<T>(items: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let take = if rest.len() >= WIDEST { WIDEST } else { 1 << rest.len().ilog2() };
        let (chunk, tail) = rest.split_at(take);
        out.push(chunk);
        rest = tail;
    }
    out
}

/// How many parameters an `IN` list of `n` values is given: the next power of two. The
/// caller repeats its last value to fill them.
pub(crate) fn in_list_len(n: usize) -> usize {
    n.max(1).next_power_of_two()
}

/// `values` padded to [`in_list_len`] by repeating the last one.
pub(crate) fn padded<'a>(values: &[&'a str]) -> Vec<&'a str> {
    let mut out = values.to_vec();
    if let Some(last) = values.last() {
        out.resize(in_list_len(values.len()), last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_every_row_once_in_order_in_few_sizes() {
        let mut sizes = std::collections::BTreeSet::new();
        for n in 0..=600 {
            let items: Vec<usize> = (0..n).collect();
            let cut = chunks(&items);
            assert_eq!(cut.concat(), items, "{n} rows");
            sizes.extend(cut.iter().map(|c| c.len()));
        }
        assert_eq!(sizes.into_iter().collect::<Vec<_>>(), vec![1, 2, 4, 8, 16, 32, 64]);
    }

    #[test]
    fn in_lists_are_padded_with_their_last_value() {
        assert_eq!(padded(&["a", "b", "c"]), vec!["a", "b", "c", "c"]);
        assert_eq!(padded(&["a"]), vec!["a"]);
        assert!(padded(&[]).is_empty());
        assert_eq!(in_list_len(256), 256);
        assert_eq!(in_list_len(129), 256);
    }

    #[test]
    fn values_number_the_parameters_row_by_row() {
        assert_eq!(values(Backend::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(values(Backend::Sqlite, 2, 3), "(?, ?, ?), (?, ?, ?)");
    }
}

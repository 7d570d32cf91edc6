//! How the CLI prints: JSON when asked (`--json`), otherwise short lines for lists and
//! `field: value` lines for one record, both derived from the same serialised record so
//! the two forms never disagree.

use serde::Serialize;
use serde_json::Value;

use super::Failure;

pub(crate) fn json(value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(Failure::refused)?;
    say!("{text}");
    Ok(())
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.is_empty() => None,
        Value::Array(items) => Some(items.iter().filter_map(scalar).collect::<Vec<_>>().join(", ")),
        Value::Object(o) if o.contains_key("amount") && o.contains_key("currency") => {
            Some(format!("{} {}", scalar(&o["amount"])?, scalar(&o["currency"])?))
        }
        other => Some(other.to_string()),
    }
}

/// One record as `field: value` lines, empty fields left out.
pub(crate) fn record(value: &impl Serialize, as_json: bool) -> Result<(), Failure> {
    if as_json {
        return json(value);
    }
    let v = serde_json::to_value(value).map_err(Failure::refused)?;
    if let Value::Object(fields) = v {
        let width = fields.keys().map(|k| k.len()).max().unwrap_or(0);
        for (k, v) in &fields {
            if let Some(s) = scalar(v) {
                say!("{k:>width$}  {s}");
            }
        }
    }
    Ok(())
}

/// A list: one line per record with the id's first 8 characters and the given columns.
pub(crate) fn list<T: Serialize>(items: &[T], columns: &[&str], as_json: bool) -> Result<(), Failure> {
    if as_json {
        return json(&items);
    }
    if items.is_empty() {
        eprintln!("(none)");
    }
    for item in items {
        let v = serde_json::to_value(item).map_err(Failure::refused)?;
        let id = v.get("id").and_then(Value::as_str).unwrap_or("");
        let cols: Vec<String> =
            columns.iter().map(|c| v.get(*c).and_then(scalar).unwrap_or_else(|| "-".into())).collect();
        say!("{}  {}", &id[..id.len().min(8)], cols.join("  "));
    }
    Ok(())
}

/// What `add` prints: the id, or the whole record with `--json`.
pub(crate) fn added(value: &impl Serialize, as_json: bool) -> Result<(), Failure> {
    if as_json {
        return json(value);
    }
    let v = serde_json::to_value(value).map_err(Failure::refused)?;
    say!("{}", v.get("id").and_then(Value::as_str).unwrap_or(""));
    Ok(())
}

//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! Two halves: [`parse`] reads JSON strictly into the I-JSON data model that RFC 8785
//! requires (no duplicate member names, no lone surrogates, numbers that fit an IEEE 754
//! double), and [`canonicalize`] writes a value in canonical form: members sorted by
//! UTF-16 code units, numbers in ECMAScript `Number.prototype.toString` form, strings
//! with the minimal JSON escaping. Nothing here guesses: input outside the data model is
//! an error, never silently repaired.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a JSON text could not be read into the RFC 8785 data model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JcsError {
    /// Not JSON at all, or JSON with a string that is not valid Unicode (lone surrogate).
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// An object names the same member twice (I-JSON forbids it).
    #[error("duplicate member name {0:?}")]
    DuplicateKey(String),
    /// A number that has no IEEE 754 double value (too large, NaN or infinite).
    #[error("number {0} is outside the IEEE 754 double range")]
    NumberOutOfRange(String),
}

/// Parses `input` strictly: one JSON value, I-JSON restrictions enforced.
///
/// ```
/// assert!(parley_protocol::jcs::parse(br#"{"a":1,"a":2}"#).is_err());
/// ```
pub fn parse(input: &[u8]) -> Result<Value, JcsError> {
    let mut de = serde_json::Deserializer::from_slice(input);
    let value = StrictValue.deserialize(&mut de).map_err(classify)?;
    de.end().map_err(classify)?;
    Ok(value)
}

/// Parses `input` strictly and returns its canonical UTF-8 bytes.
///
/// ```
/// let out = parley_protocol::jcs::canonicalize_bytes(br#"{"b": 1.50, "a": [true, null]}"#).unwrap();
/// assert_eq!(out, br#"{"a":[true,null],"b":1.5}"#);
/// ```
pub fn canonicalize_bytes(input: &[u8]) -> Result<Vec<u8>, JcsError> {
    Ok(canonicalize(&parse(input)?).into_bytes())
}

/// Writes `value` in RFC 8785 canonical form.
///
/// Every `serde_json::Value` is inside the data model except through duplicate keys,
/// which a `Map` cannot hold, so this cannot fail.
pub fn canonicalize(value: &Value) -> String {
    let mut out = String::with_capacity(128);
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            // RFC 8785 §3.2.3: order by UTF-16 code units, not by UTF-8 bytes or chars.
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (key, member)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_value(member, out);
            }
            out.push('}');
        }
    }
}

fn write_number(n: &Number, out: &mut String) {
    // Every JSON number is an IEEE 754 double in the JCS data model, integers included:
    // 2^53 + 1 is written as 9007199254740992, exactly as ECMAScript would.
    let f = n.as_f64().unwrap_or(f64::NAN);
    if f.is_finite() {
        out.push_str(ryu_js::Buffer::new().format_finite(f));
    } else {
        // Unreachable for values that came through `parse` or serde_json's constructors,
        // which refuse non-finite numbers; written as null rather than invalid JSON.
        out.push_str("null");
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn classify(e: serde_json::Error) -> JcsError {
    let text = e.to_string();
    if let Some(rest) = text.strip_prefix(DUPLICATE_PREFIX) {
        let key = rest.split(DUPLICATE_SUFFIX).next().unwrap_or_default();
        return JcsError::DuplicateKey(key.to_owned());
    }
    if text.starts_with("number out of range") {
        return JcsError::NumberOutOfRange(text);
    }
    JcsError::Syntax(text)
}

const DUPLICATE_PREFIX: &str = "parley-jcs duplicate member: ";
const DUPLICATE_SUFFIX: &str = "\u{0}";

/// Builds a `serde_json::Value` while refusing duplicate member names, which serde_json's
/// own `Value` would silently resolve to the last one.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE_PREFIX}{key}{DUPLICATE_SUFFIX}")));
            }
            let value = map.next_value_seed(StrictValue)?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> Result<String, JcsError> {
        canonicalize_bytes(s.as_bytes()).map(|b| String::from_utf8(b).unwrap())
    }

    #[test]
    fn sorts_by_utf16_code_units_not_code_points() {
        // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FB33; by code point it
        // would sort after.
        assert_eq!(canon("{\"\u{fb33}\":1,\"\u{1f600}\":2}").unwrap(), "{\"\u{1f600}\":2,\"\u{fb33}\":1}");
    }

    #[test]
    fn rejects_duplicate_keys_even_when_spelled_differently() {
        assert_eq!(canon(r#"{"a":1,"\u0061":2}"#), Err(JcsError::DuplicateKey("a".into())));
        assert!(matches!(canon(r#"{"x":{"b":1,"b":1}}"#), Err(JcsError::DuplicateKey(_))));
    }

    #[test]
    fn rejects_lone_surrogates() {
        assert!(matches!(canon(r#"["\ud800"]"#), Err(JcsError::Syntax(_))));
        assert!(matches!(canon(r#"["\udc00x"]"#), Err(JcsError::Syntax(_))));
        assert!(matches!(canon(r#"["\ud800\u0041"]"#), Err(JcsError::Syntax(_))));
    }

    #[test]
    fn rejects_numbers_beyond_double_range_and_non_json_literals() {
        assert!(matches!(canon("1e400"), Err(JcsError::NumberOutOfRange(_))));
        assert!(matches!(canon("-1e400"), Err(JcsError::NumberOutOfRange(_))));
        assert!(matches!(canon("NaN"), Err(JcsError::Syntax(_))));
        assert!(matches!(canon("Infinity"), Err(JcsError::Syntax(_))));
    }

    #[test]
    fn rejects_trailing_content_and_invalid_utf8() {
        assert!(canon("{} {}").is_err());
        assert!(canonicalize_bytes(b"\"\xff\"").is_err());
    }

    #[test]
    fn integers_are_doubles() {
        assert_eq!(canon("9007199254740993").unwrap(), "9007199254740992");
        assert_eq!(canon("-0").unwrap(), "0");
        assert_eq!(canon("18446744073709551615").unwrap(), "18446744073709552000");
        assert_eq!(canon("1.0").unwrap(), "1");
    }

    #[test]
    fn escapes_only_what_json_requires() {
        assert_eq!(canon(r#""\u001f\u007f\/\u2028\b""#).unwrap(), "\"\\u001f\u{7f}/\u{2028}\\b\"");
    }
}

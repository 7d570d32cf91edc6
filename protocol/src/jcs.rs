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

/// Writes the object with `members` in RFC 8785 canonical form: [`canonicalize`] of an
/// object built from them, without building it (a proof hashes a document minus its
/// `proof`, and copying the document to remove it would cost more than the hashing).
/// The names must be distinct.
pub fn canonicalize_members<'a>(members: impl IntoIterator<Item = (&'a str, &'a Value)>) -> String {
    let mut out = String::with_capacity(128);
    write_object(members.into_iter().collect(), &mut out);
    out
}

fn write_object(mut members: Vec<(&str, &Value)>, out: &mut String) {
    members.sort_by(|(a, _), (b, _)| utf16_order(a, b));
    out.push('{');
    for (i, (key, member)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        write_value(member, out);
    }
    out.push('}');
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
        Value::Object(members) => write_object(members.iter().map(|(k, v)| (k.as_str(), v)).collect(), out),
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

/// RFC 8785 §3.2.3's order of member names: by UTF-16 code units, not by UTF-8 bytes.
///
/// The two orders differ only where a character above U+FFFF (UTF-8 lead byte F0–F4,
/// UTF-16 surrogates D800–DFFF) meets one in U+E000–U+FFFF (lead byte EE or EF). So the
/// first differing byte decides unless it is EE or above, and only then are the names
/// re-read as UTF-16: names are nearly always ASCII, and this runs for every member of
/// every document signed or verified.
fn utf16_order(a: &str, b: &str) -> std::cmp::Ordering {
    match a.bytes().zip(b.bytes()).find(|(x, y)| x != y) {
        None => a.len().cmp(&b.len()),
        Some((x, y)) if x < 0xEE && y < 0xEE => x.cmp(&y),
        Some(_) => a.encode_utf16().cmp(b.encode_utf16()),
    }
}

/// Writes `s` as a JSON string with the minimal escaping RFC 8785 §3.2.2.2 asks for:
/// `"`, `\` and the control characters, nothing else. Runs of bytes that need no escape
/// are copied whole (every byte that does is ASCII, so the runs split at char
/// boundaries).
fn write_string(s: &str, out: &mut String) {
    out.push('"');
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped: std::borrow::Cow<str> = match b {
            b'"' => "\\\"".into(),
            b'\\' => "\\\\".into(),
            0x08 => "\\b".into(),
            0x0c => "\\f".into(),
            b'\n' => "\\n".into(),
            b'\r' => "\\r".into(),
            b'\t' => "\\t".into(),
            0..=0x1f => format!("\\u{b:04x}").into(),
            _ => continue,
        };
        out.push_str(&s[run..i]);
        out.push_str(&escaped);
        run = i + 1;
    }
    out.push_str(&s[run..]);
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

    /// Strings drawn mostly from where the UTF-8 and UTF-16 orders disagree: ASCII,
    /// U+E000–U+FFFF and the supplementary planes, plus anything at all.
    fn tricky_string() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let tricky = prop_oneof![
            proptest::char::range('a', 'c'),
            proptest::char::range('\u{0}', '\u{1f}'),
            proptest::char::range('\u{e000}', '\u{ffff}'),
            proptest::char::range('\u{10000}', '\u{10ffff}'),
            any::<char>(),
        ];
        proptest::collection::vec(tricky, 0..6).prop_map(|cs| cs.into_iter().collect())
    }

    proptest::proptest! {
        #[test]
        fn member_order_is_utf16_order(a in tricky_string(), b in tricky_string()) {
            proptest::prop_assert_eq!(utf16_order(&a, &b), a.encode_utf16().cmp(b.encode_utf16()));
            let shared = format!("{a}{b}");
            proptest::prop_assert_eq!(utf16_order(&shared, &a), shared.encode_utf16().cmp(a.encode_utf16()));
        }

        #[test]
        fn strings_are_escaped_as_json_requires(s in tricky_string()) {
            // serde_json escapes exactly RFC 8785's set, the same way.
            let mut out = String::new();
            write_string(&s, &mut out);
            proptest::prop_assert_eq!(out, serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn escapes_only_what_json_requires() {
        assert_eq!(canon(r#""\u001f\u007f\/\u2028\b""#).unwrap(), "\"\\u001f\u{7f}/\u{2028}\\b\"");
    }
}

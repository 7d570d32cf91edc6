use parley_protocol::jcs::{canonicalize, canonicalize_bytes};
use serde_json::Value;

use crate::vector_dir;

#[test]
fn published_jcs_vectors_canonicalise_byte_for_byte() {
    let mut checked = 0;
    for (name, path) in vector_dir("jcs") {
        let Some(stem) = name.strip_suffix(".input.json") else { continue };
        let input = std::fs::read(&path).unwrap();
        let expected = std::fs::read(path.with_file_name(format!("{stem}.output.json"))).unwrap();
        let actual = canonicalize_bytes(&input).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "{stem}: canonical form differs from the published output"
        );
        checked += 1;
    }
    assert!(checked >= 7, "all published JCS vectors were found ({checked})");
}

#[test]
fn fail_vectors_are_refused() {
    let mut checked = 0;
    for (name, path) in vector_dir("jcs") {
        if !name.starts_with("fail_") {
            continue;
        }
        let input = std::fs::read(&path).unwrap();
        assert!(canonicalize_bytes(&input).is_err(), "{name} must be refused, not guessed at");
        checked += 1;
    }
    assert!(checked >= 9);
}

/// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
#[test]
fn rfc8785_appendix_b_numbers() {
    let table = [
        (0x0000000000000000u64, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];
    for (bits, expected) in table {
        let value = Value::from(f64::from_bits(bits));
        assert_eq!(canonicalize(&value), expected, "bits {bits:016x}");
        // And the serialisation reads back as the same double, through the strict parser.
        let reparsed = canonicalize_bytes(expected.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(reparsed).unwrap(), expected);
    }
    // NaN and Infinity have no JSON form: serde_json refuses to hold them at all.
    assert_eq!(serde_json::Number::from_f64(f64::NAN), None);
    assert_eq!(serde_json::Number::from_f64(f64::INFINITY), None);
}

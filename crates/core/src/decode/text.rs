//! Plain payloads: pretty JSON when the bytes parse as JSON, UTF-8 text when they are text,
//! a hex dump otherwise.

use std::fmt::Write as _;

use super::json_text::JsonText;

/// A payload made readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plain {
    /// JSON, in compact form.
    Json(JsonText),
    /// UTF-8 text that is not JSON.
    Text(String),
    /// Anything else.
    Binary,
}

/// Sorts `bytes` into JSON, text or binary.
#[must_use]
pub fn classify(bytes: &[u8]) -> Plain {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Plain::Binary;
    };
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(json) = compact(text)
    {
        return Plain::Json(json);
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Plain::Binary;
    }
    Plain::Text(text.to_owned())
}

/// `text` in compact form if it is JSON: parsed and written again as it goes, without a tree
/// of values in between (twice as fast on records of a kilobyte). Numbers and strings come out
/// as `serde_json` prints them; a key repeated in an object stays repeated, as in the payload.
///
/// # Errors
/// Why `text` is not one JSON value.
pub fn compact(text: &str) -> Result<JsonText, serde_json::Error> {
    let mut out = Vec::with_capacity(text.len());
    let mut reader = serde_json::Deserializer::from_str(text);
    serde_transcode::transcode(&mut reader, &mut serde_json::Serializer::new(&mut out))?;
    reader.end()?;
    // serde_json writes UTF-8 only: the lossy branch is never taken.
    let text = String::from_utf8(out)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    Ok(JsonText::from_compact(text))
}

/// A hex dump: offset, 16 bytes in hex, and their printable ASCII.
#[must_use]
pub fn hex_dump(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 + 16);
    for (row, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", row * 16);
        for column in 0..16 {
            match chunk.get(column) {
                Some(byte) => {
                    let _ = write!(out, "{byte:02x} ");
                }
                None => out.push_str("   "),
            }
            if column == 7 {
                out.push(' ');
            }
        }
        out.push(' ');
        out.push('|');
        out.extend(chunk.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        }));
        out.push('|');
        out.push('\n');
    }
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// Hex digits (either case, an even number) as the bytes they spell; `None` for anything else.
#[must_use]
pub fn parse_hex(digits: &str) -> Option<Vec<u8>> {
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(digits.get(at..at + 2)?, 16).ok())
        .collect()
}

/// Compact hex without spaces (for one-line display of short binary keys and headers).
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_payloads() {
        assert_eq!(
            classify(br#"{"a": 1}"#),
            Plain::Json(JsonText::from_value(&serde_json::json!({"a": 1})))
        );
        assert_eq!(classify(b"hello"), Plain::Text("hello".into()));
        assert_eq!(classify(b"{not json"), Plain::Text("{not json".into()));
        assert_eq!(classify(b"\x00\x01\xff"), Plain::Binary);
        assert_eq!(classify(b"bell\x07"), Plain::Binary);
        assert_eq!(classify(b"line\nbreak"), Plain::Text("line\nbreak".into()));
    }

    /// A random JSON value at most `depth` levels deep.
    fn random_json(rng: &mut impl rand::Rng, depth: u32) -> serde_json::Value {
        use serde_json::{Value, json};
        const TEXTS: [&str; 6] = ["", "a", "q\"uote", "back\\slash", "line\nbreak\u{1}", "é😀"];
        match rng.random_range(0..if depth == 0 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => json!(rng.random::<bool>()),
            2 => json!(rng.random::<i64>() >> rng.random_range(0..64)),
            3 => json!(rng.random::<u64>()),
            4 => json!(
                f64::from_bits(rng.random::<u64>() >> 2) * if rng.random() { 1.0 } else { -1.0 }
            ),
            5 => json!(TEXTS[rng.random_range(0..TEXTS.len())]),
            6 => Value::Array(
                (0..rng.random_range(0..4))
                    .map(|_| random_json(rng, depth - 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..rng.random_range(0..4))
                    .map(|i| {
                        (
                            format!("{}{i}", TEXTS[rng.random_range(0..TEXTS.len())]),
                            random_json(rng, depth - 1),
                        )
                    })
                    .collect(),
            ),
        }
    }

    /// JSON payloads come out exactly as `serde_json` prints their value, whatever the
    /// payload's layout (compact or pretty).
    #[test]
    fn json_is_shown_as_serde_json_prints_it() {
        use rand::SeedableRng as _;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..2_000 {
            let value = serde_json::Value::Array(vec![random_json(&mut rng, 4)]);
            let expected = value.to_string();
            for payload in [
                expected.clone(),
                serde_json::to_string_pretty(&value).unwrap(),
            ] {
                let Plain::Json(json) = classify(format!(" {payload}\n").as_bytes()) else {
                    panic!("not JSON: {payload}");
                };
                assert_eq!(json.as_str(), expected);
            }
        }
    }

    /// What is not one JSON value is not shown as JSON; a key repeated in an object is shown
    /// as the payload has it (a parsed value would keep only the last).
    #[test]
    fn only_one_whole_json_value_is_json() {
        for text in [
            r#"{"a": 1} {"b": 2}"#,
            r#"{"a": 1"#,
            r#"[1, 2,]"#,
            r#"{"a": 1e400}"#,
            &format!("{}{}", "[".repeat(200), "]".repeat(200)),
        ] {
            assert!(
                !matches!(classify(text.as_bytes()), Plain::Json(_)),
                "{text}"
            );
        }
        let Plain::Json(json) = classify(br#"{"a": 1, "a": 2}"#) else {
            panic!("not JSON");
        };
        assert_eq!(json.as_str(), r#"{"a":1,"a":2}"#);
    }

    /// Found by the `render` fuzz target: `serde_json`'s default float parsing is not always
    /// correctly rounded, so `111111118101111111110` was read one unit in the last place off,
    /// and the JSON shown (and a JSON line read back) stood for another number than the
    /// record's. With `float_roundtrip` a number reads as Rust's own (correctly rounded) parse.
    #[test]
    fn json_numbers_are_read_correctly_rounded() {
        for number in [
            "111111118101111111110",
            "1.1111111810111111e20",
            "0.30000000000000004",
            "2.2250738585072011e-308",
            "9007199254740993",
            "123456789012345678901234567890",
        ] {
            let Plain::Json(text) = classify(format!("\t[[{number}]]").as_bytes()) else {
                panic!("{number}: not JSON");
            };
            let value = text.to_value();
            assert_eq!(value[0][0].as_f64(), number.parse::<f64>().ok(), "{number}");
            let again: serde_json::Value = serde_json::from_str(&value.to_string()).unwrap();
            assert_eq!(again, value, "{number} shown as {value}");
        }
    }

    #[test]
    fn hex_dump_has_offset_hex_and_ascii_columns() {
        let dump = hex_dump(b"0123456789abcdefXY\x00");
        assert_eq!(
            dump,
            "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n\
             00000010  58 59 00                                          |XY.|"
        );
        assert_eq!(hex(b"\x00\xab"), "00ab");
    }
}

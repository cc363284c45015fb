//! Reads Java `.properties` files (comments `#`/`!`, `=`/`:`/whitespace separators, backslash
//! continuations and escapes, `\uXXXX`) through the `java-properties` crate, keeping the line of
//! every property so errors can point at it.
//!
//! Encoding: a file that is valid UTF-8 is read as UTF-8 (a byte-order mark is dropped);
//! anything else is read as ISO-8859-1, the encoding the Java specification prescribes. This is
//! what Java's own `PropertyResourceBundle` does since Java 9, and it keeps non-ASCII passwords
//! written by today's editors intact.

use std::path::Path;

use encoding_rs::{UTF_8, WINDOWS_1252};
use java_properties::{LineContent, PropertiesIter};

use super::ConfigError;

/// One `key=value` line of a properties file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileProperty {
    pub key: String,
    pub value: String,
    /// 1-based number of the (first) line the property is written on.
    pub line: usize,
}

/// Reads and parses the properties file at `path`, in file order (later duplicates win when the
/// caller inserts them into a map, as in Java).
///
/// # Errors
/// [`ConfigError::ReadFile`] when the file cannot be read, [`ConfigError::ParseFile`] (with the
/// line) when it is not a valid properties file.
pub(super) fn read_file(path: &Path) -> Result<Vec<FileProperty>, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    parse(&bytes, path)
}

/// Parses the content of a properties file; `path` only names the file in errors.
pub(super) fn parse(bytes: &[u8], path: &Path) -> Result<Vec<FileProperty>, ConfigError> {
    // Decoded here, and handed to java-properties as UTF-8 without a byte-order mark: its own
    // decoding panics ("Must not use a decoder that has finished") on a file that is only the
    // start of a byte-order mark (`EF`, `EF BB`, `FE`, `FF`), which encoding_rs holds back
    // until the end of the input.
    let text = if std::str::from_utf8(bytes).is_ok() {
        UTF_8.decode_with_bom_removal(bytes).0
    } else {
        WINDOWS_1252.decode_without_bom_handling(bytes).0
    };
    let mut properties = Vec::new();
    for line in PropertiesIter::new_with_encoding(text.as_bytes(), UTF_8) {
        let line = line.map_err(|error| {
            // The crate's message ends in " (line_number = N)"; we say the line our own way.
            let message = error.to_string();
            let reason = message
                .split(" (line_number")
                .next()
                .unwrap_or(&message)
                .trim_end_matches('.')
                .to_owned();
            ConfigError::ParseFile {
                path: path.to_owned(),
                line: error.line_number(),
                reason: lowercase_first(&reason),
            }
        })?;
        let number = line.line_number();
        if let LineContent::KVPair(key, value) = line.consume_content() {
            properties.push(FileProperty {
                key,
                value,
                line: number,
            });
        }
    }
    Ok(properties)
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::testing::properties_file;

    fn pairs(text: &str) -> Vec<(String, String, usize)> {
        parse(text.as_bytes(), Path::new("test.properties"))
            .unwrap()
            .into_iter()
            .map(|p| (p.key, p.value, p.line))
            .collect()
    }

    /// A name, a file's text and the `(key, value, line)` triples expected from it.
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str, usize)],
    );

    #[test]
    fn parsing_table() {
        let cases: &[Case] = &[
            ("empty file", "", &[]),
            ("hash comment", "# a comment\na=1", &[("a", "1", 2)]),
            ("bang comment", "! a comment\na=1", &[("a", "1", 2)]),
            ("indented comment", "   # a=1\nb=2", &[("b", "2", 2)]),
            ("equals", "a=1", &[("a", "1", 1)]),
            ("colon", "a:1", &[("a", "1", 1)]),
            ("whitespace", "a 1", &[("a", "1", 1)]),
            ("spaced equals", "a  =  1", &[("a", "1", 1)]),
            ("tab separator", "a\t1", &[("a", "1", 1)]),
            (
                "value keeps later separators",
                "a=b=c:d",
                &[("a", "b=c:d", 1)],
            ),
            ("trailing spaces kept", "a=1  ", &[("a", "1  ", 1)]),
            ("key only", "a", &[("a", "", 1)]),
            ("empty value", "a=", &[("a", "", 1)]),
            ("blank lines", "\n\na=1\n\n", &[("a", "1", 3)]),
            (
                "continuation",
                "a=one \\\n    two\nb=3",
                &[("a", "one two", 1), ("b", "3", 3)],
            ),
            (
                "continuation over three lines",
                "a=x\\\n  y\\\n  z",
                &[("a", "xyz", 1)],
            ),
            (
                "escaped backslash is no continuation",
                "a=x\\\\\nb=2",
                &[("a", "x\\", 1), ("b", "2", 2)],
            ),
            ("escaped separator in key", "a\\=b=c", &[("a=b", "c", 1)]),
            (
                "escaped colon and space in key",
                "a\\:b\\ c=d",
                &[("a:b c", "d", 1)],
            ),
            (
                "escapes",
                "a=tab\\tnl\\nret\\r",
                &[("a", "tab\tnl\nret\r", 1)],
            ),
            ("unknown escape drops backslash", "a=\\q", &[("a", "q", 1)]),
            ("unicode escape", "a=caf\\u00e9", &[("a", "café", 1)]),
            ("utf-8 text", "a=café", &[("a", "café", 1)]),
            (
                "crlf line endings",
                "a=1\r\nb=2\r\n",
                &[("a", "1", 1), ("b", "2", 2)],
            ),
            (
                "later duplicate kept in order",
                "a=1\na=2",
                &[("a", "1", 1), ("a", "2", 2)],
            ),
        ];
        for (name, text, expected) in cases {
            let expected: Vec<_> = expected
                .iter()
                .map(|(k, v, l)| ((*k).to_owned(), (*v).to_owned(), *l))
                .collect();
            assert_eq!(pairs(text), expected, "case {name:?}");
        }
    }

    #[test]
    fn latin1_file_is_read_as_iso_8859_1() {
        let bytes = b"a=caf\xe9\n";
        let parsed = parse(bytes, Path::new("latin1.properties")).unwrap();
        assert_eq!(parsed[0].value, "café");
    }

    #[test]
    fn utf8_byte_order_mark_is_dropped() {
        let parsed = parse(b"\xef\xbb\xbfa=1", Path::new("bom.properties")).unwrap();
        assert_eq!(parsed[0].key, "a");
    }

    /// Found by the `properties` fuzz target: a file that is only the start of a byte-order
    /// mark made java-properties panic. Every such file reads as ISO-8859-1 text now.
    #[test]
    fn partial_byte_order_marks_are_text_not_a_panic() {
        let cases: &[(&[u8], &str)] = &[
            (b"\xef", "\u{ef}"),
            (b"\xef\xbb", "\u{ef}\u{bb}"),
            (b"\xfe", "\u{fe}"),
            (b"\xff", "\u{ff}"),
            (b"\xff\xfe", "\u{ff}\u{fe}"),
            (b"\xfe\xff", "\u{fe}\u{ff}"),
        ];
        for (bytes, key) in cases {
            let parsed = parse(bytes, Path::new("bom.properties")).unwrap();
            assert_eq!(
                parsed,
                [FileProperty {
                    key: (*key).to_owned(),
                    value: String::new(),
                    line: 1,
                }],
                "{bytes:x?}"
            );
        }
        for bytes in [&b""[..], b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"] {
            assert_eq!(parse(bytes, Path::new("bom.properties")).unwrap(), []);
        }
    }

    #[test]
    fn malformed_unicode_escape_names_file_and_line() {
        let error = parse(b"a=1\nb=\\u12", Path::new("bad.properties")).unwrap_err();
        let message = error.to_string();
        assert!(matches!(
            error,
            ConfigError::ParseFile { line: Some(2), .. }
        ));
        assert!(message.contains("bad.properties"), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path: PathBuf = dir.path().join("missing.properties");
        let error = read_file(&path).unwrap_err();
        assert!(matches!(error, ConfigError::ReadFile { .. }));
        assert!(error.to_string().contains("missing.properties"), "{error}");
    }

    #[test]
    fn reads_a_file() {
        let (_dir, path) = properties_file("client.properties", "bootstrap.servers=h:9092\n");
        let parsed = read_file(&path).unwrap();
        assert_eq!(
            parsed,
            [FileProperty {
                key: "bootstrap.servers".into(),
                value: "h:9092".into(),
                line: 1,
            }]
        );
    }
}

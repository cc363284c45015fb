//! Compact JSON text: what is shown of decoded keys and values, searched by `--grep`, and
//! written into JSON Lines as it is, without being parsed again.

use std::fmt;

/// JSON text in the compact form `serde_json` prints (`{"a":1,"b":[true,null]}`): one line,
/// no insignificant whitespace.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonText(String);

impl JsonText {
    /// `value` in compact form.
    #[must_use]
    pub fn from_value(value: &serde_json::Value) -> Self {
        Self(value.to_string())
    }

    /// Text already in compact form, as [`crate::decode::avro::WriterSchema::decode`] writes
    /// it. Text that is not would end up as it is in JSON Lines.
    #[must_use]
    pub fn from_compact(text: String) -> Self {
        Self(text)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value the text holds (`Null` should it not parse, which compact text always does).
    #[must_use]
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or_default()
    }

    /// The text indented over several lines, as `serde_json` pretty-prints.
    #[must_use]
    pub fn pretty(&self) -> String {
        let value = self.to_value();
        serde_json::to_string_pretty(&value).unwrap_or_else(|_| self.0.clone())
    }
}

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonText({})", self.0)
    }
}

impl fmt::Display for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a byte turns into inside a JSON string, as `serde_json` writes it: 0 for itself, `u`
/// for `\u00XX`, else the letter after the backslash.
const ESCAPE: [u8; 256] = {
    let mut table = [0_u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// The bytes of `word` that need escaping (below 0x20, `"` or `\\`) have their top bit set in
/// the result, all eight tested at once: a byte is below `n` (`n` ≤ 0x80) exactly when
/// subtracting `n` borrows into its top bit while that bit was clear, and equal to `c` when it
/// is zero after `^ c`. A borrow can also mark a byte above one that is marked; only "any or
/// none" is read from it.
fn needs_escape(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (word.wrapping_sub(ONES * 0x20) & !word
        | quote.wrapping_sub(ONES) & !quote
        | backslash.wrapping_sub(ONES) & !backslash)
        & TOPS
}

/// How many bytes at the start of `bytes` need no escaping, in whole words: 32 bytes at a
/// time (one test of four words, which the compiler turns into vector code), then 8.
fn clean_len(bytes: &[u8]) -> usize {
    let (blocks, _) = bytes.as_chunks::<32>();
    let mut clean = 0;
    for block in blocks {
        let (words, _) = block.as_chunks::<8>();
        if words
            .iter()
            .fold(0, |any, word| any | needs_escape(u64::from_le_bytes(*word)))
            != 0
        {
            break;
        }
        clean += 32;
    }
    let (words, _) = bytes.get(clean..).unwrap_or_default().as_chunks::<8>();
    for word in words {
        if needs_escape(u64::from_le_bytes(*word)) != 0 {
            break;
        }
        clean += 8;
    }
    clean
}

/// `text` as a JSON string, escaped exactly as `serde_json` escapes it. Runs of bytes that
/// need no escaping (most text) are skipped a block at a time ([`clean_len`]).
pub fn push_escaped(out: &mut String, text: &str) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    loop {
        i += clean_len(bytes.get(i..).unwrap_or_default());
        let Some(&byte) = bytes.get(i) else {
            break;
        };
        let escape = ESCAPE[usize::from(byte)];
        if escape != 0 {
            // Every byte that is escaped is ASCII, so `i` is a character boundary.
            out.push_str(text.get(start..i).unwrap_or_default());
            out.push('\\');
            if escape == b'u' {
                out.push_str("u00");
                out.push(char::from(DIGITS[usize::from(byte >> 4)]));
                out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
            } else {
                out.push(char::from(escape));
            }
            start = i + 1;
        }
        i += 1;
    }
    out.push_str(text.get(start..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ASCII byte and a few wider characters at every position of the first two
    /// 32-byte blocks (and so of every word in them), followed by more text: escaped exactly
    /// as `serde_json` escapes them.
    #[test]
    fn escapes_as_serde_json_does() {
        let mut texts = vec![String::new(), "plain text longer than a word".to_owned()];
        for c in (0..=0x7f_u8).map(char::from).chain(['é', '😀', '\u{2028}']) {
            for at in 0..70 {
                let mut text: String = "abcdefghijklmnopqrstuvwxyz"
                    .repeat(3)
                    .chars()
                    .take(at)
                    .collect();
                text.push(c);
                text.push_str("klmnopqrstu\"v");
                texts.push(text);
            }
        }
        for text in texts {
            let mut ours = String::new();
            push_escaped(&mut ours, &text);
            assert_eq!(ours, serde_json::to_string(&text).unwrap(), "{text:?}");
        }
    }
}

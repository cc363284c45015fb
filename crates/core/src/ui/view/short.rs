//! The key of a row, held inside the row: at most [`ShortText::CAPACITY`] bytes of UTF-8, cut
//! at a character boundary with `…` when longer. A million rows then make no million small
//! allocations (the whole key is in the record pane).

use std::fmt;
use std::ops::Deref;

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShortText {
    len: u8,
    bytes: [u8; ShortText::CAPACITY],
}

impl ShortText {
    /// Bytes kept; with the length, the text takes 24 bytes.
    pub const CAPACITY: usize = 23;

    /// `text`, cut to what fits.
    #[must_use]
    pub fn new(text: &str) -> Self {
        let mut kept = text;
        if text.len() > Self::CAPACITY {
            let mut end = Self::CAPACITY - '…'.len_utf8();
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            kept = &text[..end];
        }
        let mut short = Self {
            len: 0,
            bytes: [0; Self::CAPACITY],
        };
        short.push(kept);
        if kept.len() < text.len() {
            short.push("…");
        }
        short
    }

    fn push(&mut self, text: &str) {
        let start = usize::from(self.len);
        let end = start + text.len();
        if let Some(slot) = self.bytes.get_mut(start..end) {
            slot.copy_from_slice(text.as_bytes());
            self.len = u8::try_from(end).unwrap_or(u8::MAX);
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only whole characters are ever copied in.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl Deref for ShortText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for ShortText {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for ShortText {
    fn from(text: String) -> Self {
        Self::new(&text)
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_kept_and_long_ones_cut_at_a_character() {
        assert_eq!(&*ShortText::new(""), "");
        assert_eq!(&*ShortText::new("order-100234"), "order-100234");
        let exact = "a".repeat(ShortText::CAPACITY);
        assert_eq!(&*ShortText::new(&exact), exact);
        let uuid = "5f1c0a52-8e0b-4c1e-9d1a-6f0e2b7c9a31";
        assert_eq!(&*ShortText::new(uuid), "5f1c0a52-8e0b-4c1e-9…");
        // A cut never splits a character: 'é' is two bytes.
        let accents = "é".repeat(20);
        let cut = ShortText::new(&accents);
        assert!(cut.ends_with('…'));
        assert!(cut.len() <= ShortText::CAPACITY);
        assert_eq!(cut.chars().filter(|&c| c == 'é').count(), 10);
        assert_eq!(std::mem::size_of::<ShortText>(), 24);
    }
}

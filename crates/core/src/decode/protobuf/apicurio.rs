//! Apicurio's Protobuf framing in its header form: its serializer writes, before the message, a
//! length-delimited `Ref { string name = 1; }` naming the message type (unless told not to).
//! Pure functions over untrusted bytes: they never panic.

use super::wire::{LEN, Raw, Reader};

/// The message type a leading `Ref` names, and the bytes after it; `None` when `payload` does
/// not start with exactly such a `Ref` (a length, then only field 1 as a UTF-8 string).
#[must_use]
pub fn split_ref(payload: &[u8]) -> Option<(&str, &[u8])> {
    let mut outer = Reader::new(payload);
    let len = usize::try_from(outer.varint().ok()?).ok()?;
    let mut message = Reader::new(outer.take(len).ok()?);
    if message.tag().ok()? != (1, LEN) {
        return None;
    }
    let Raw::Len(name) = message.value(1, LEN, 0).ok()? else {
        return None;
    };
    if !message.done() || name.is_empty() {
        return None;
    }
    Some((std::str::from_utf8(name).ok()?, outer.rest()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ref(name: &str, message: &[u8]) -> Vec<u8> {
        let inner = [
            &[0x0a, u8::try_from(name.len()).unwrap()][..],
            name.as_bytes(),
        ]
        .concat();
        [&[u8::try_from(inner.len()).unwrap()][..], &inner, message].concat()
    }

    #[test]
    fn a_leading_ref_names_the_message() {
        let payload = with_ref("Order", &[0x0a, 0x02, b'o', b'1']);
        assert_eq!(
            split_ref(&payload),
            Some(("Order", [0x0a, 0x02, b'o', b'1'].as_slice()))
        );
        assert_eq!(split_ref(&with_ref("Order", &[])), Some(("Order", &[][..])));
    }

    #[test]
    fn anything_else_is_not_a_ref() {
        // A bare message whose first field is a string: the length byte does not fit.
        assert_eq!(split_ref(&[0x0a, 0x02, b'o', b'1']), None);
        assert_eq!(split_ref(&[]), None);
        assert_eq!(split_ref(&[0x05, 0x0a]), None, "cut short");
        assert_eq!(split_ref(&[0x02, 0x12, 0x00]), None, "another field");
        assert_eq!(split_ref(&[0x03, 0x0a, 0x01, 0xff]), None, "not UTF-8");
        assert_eq!(split_ref(&[0x02, 0x0a, 0x00]), None, "an empty name");
        assert_eq!(split_ref(&[0xff; 12]), None, "a varint too long");
    }
}

//! A share group's dead-letter queue (KIP-1191) holds, by default, only a *pointer* to each
//! record it dead-lettered: a null key and value, with `__dlq.errors.topic`, `.partition` and
//! `.offset` naming the record. The tool shows and redrives the record pointed to, read from
//! its topic ([`dereferenced`]), at the pointer's place in the DLQ.

use crate::record::Record;

use super::origin::{Framework, Origin, origin_of};

/// Where `record` points, when it is a share group's pointer (null key and value, usable
/// `__dlq.errors.*` headers naming a partition and an offset; a decision's marker never is).
#[must_use]
pub fn share_pointer(record: &Record) -> Option<Origin> {
    if record.key.is_some() || record.value.is_some() || record.marked_offset().is_some() {
        return None;
    }
    let origin = origin_of(&record.headers).ok()??;
    (origin.framework == Framework::ShareGroup
        && origin.partition.is_some()
        && origin.offset.is_some())
    .then_some(origin)
}

/// The record `pointer` points to, at the pointer's place in the DLQ: `source`'s key, value,
/// timestamp and headers, then the pointer's own headers (the share group's, its reason: they
/// route and class it, and `--strip-dlq-headers` leaves them out of a copy).
#[must_use]
pub fn dereferenced(pointer: Record, source: Record) -> Record {
    let mut headers = source.headers;
    headers.extend(pointer.headers);
    Record {
        at: pointer.at,
        timestamp: source.timestamp,
        key: source.key,
        value: source.value,
        headers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer() -> Record {
        Record::test(0, 7)
            .with_key(None)
            .with_value(None)
            .with_header("__dlq.errors.topic", "orders")
            .with_header("__dlq.errors.partition", "2")
            .with_header("__dlq.errors.offset", "41")
            .with_header("__dlq.errors.group", "billing")
            .with_header("__dlq.errors.delivery.count", "5")
            .with_header("__dlq.errors.message", "Offset rejected by client.")
    }

    #[test]
    fn a_pointer_names_its_record_and_nothing_else_is_one() {
        let at = share_pointer(&pointer()).unwrap();
        assert_eq!(
            (at.topic.as_str(), at.partition, at.offset),
            ("orders", Some(2), Some(41))
        );
        // A copy (copy.record.enable): its own record, not a pointer.
        assert_eq!(share_pointer(&pointer().with_value(Some(b"v"))), None);
        assert_eq!(share_pointer(&pointer().with_key(Some(b"k"))), None);
        // A decision's marker, or a tombstone of another family, is not one either.
        assert_eq!(
            share_pointer(&pointer().with_header("kmp-decided-offset", "6")),
            None
        );
        let spring = Record::test(0, 1)
            .with_key(None)
            .with_value(None)
            .with_header("kafka_dlt-original-topic", "orders");
        assert_eq!(share_pointer(&spring), None);
        // Without an offset it points nowhere.
        let vague = Record::test(0, 1)
            .with_key(None)
            .with_value(None)
            .with_header("__dlq.errors.topic", "orders");
        assert_eq!(share_pointer(&vague), None);
    }

    #[test]
    fn the_record_pointed_to_takes_the_pointers_place() {
        let source = Record::test(2, 41)
            .with_key(Some(b"order-41"))
            .with_value(Some(b"{}"))
            .created_at(1_000)
            .with_header("traceparent", "00-abc");
        let record = dereferenced(pointer(), source);
        assert_eq!((record.at.partition, record.at.offset), (0, 7));
        assert_eq!(record.key.as_deref(), Some(&b"order-41"[..]));
        assert_eq!(record.value.as_deref(), Some(&b"{}"[..]));
        assert_eq!(record.timestamp.map(|t| t.millis), Some(1_000));
        let names: Vec<&str> = record.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names[0], "traceparent");
        assert_eq!(names[1], "__dlq.errors.topic");
        assert_eq!(origin_of(&record.headers).unwrap().unwrap().topic, "orders");
    }
}

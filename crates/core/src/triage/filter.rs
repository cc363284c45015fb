//! Which records a run touches. A record that does not match is left alone, and the
//! committed offset of its partition never moves past it, so a later run without the filter
//! still sees it.

use std::collections::BTreeSet;

use regex::bytes::Regex as BytesRegex;

use crate::record::Record;

/// Decides which records a run touches.
pub trait RecordFilter {
    fn matches(&mut self, record: &Record) -> bool;
}

/// Every record.
impl RecordFilter for () {
    fn matches(&mut self, _record: &Record) -> bool {
        true
    }
}

/// A [`Filter`] whose `--grep` looks at the value as UTF-8 (lossy).
impl RecordFilter for Filter {
    fn matches(&mut self, record: &Record) -> bool {
        Filter::matches(self, record, &mut |record: &Record| {
            String::from_utf8_lossy(record.value.as_deref().unwrap_or_default()).into_owned()
        })
    }
}

/// A header condition: the header is present, and when a pattern is given, one of its
/// values matches it.
#[derive(Debug, Clone)]
pub struct HeaderCondition {
    pub name: String,
    pub pattern: Option<BytesRegex>,
}

/// The conditions a record must all meet. The default matches everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub partitions: Option<BTreeSet<i32>>,
    pub from_offset: Option<i64>,
    /// Exclusive.
    pub until_offset: Option<i64>,
    /// Milliseconds since the epoch, inclusive.
    pub since: Option<i64>,
    /// Milliseconds since the epoch, exclusive.
    pub until: Option<i64>,
    pub key: Option<BytesRegex>,
    pub headers: Vec<HeaderCondition>,
    /// Over the decoded value (as displayed).
    pub grep: Option<regex::Regex>,
}

impl Filter {
    /// Whether this filter lets everything through.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.partitions.is_none()
            && self.from_offset.is_none()
            && self.until_offset.is_none()
            && self.since.is_none()
            && self.until.is_none()
            && self.key.is_none()
            && self.headers.is_empty()
            && self.grep.is_none()
    }

    /// Whether `record` meets every condition; `value_text` renders the value as shown to
    /// people, and is only called when `--grep` is given.
    pub fn matches(&self, record: &Record, value_text: &mut dyn FnMut(&Record) -> String) -> bool {
        let at = &record.at;
        if self
            .partitions
            .as_ref()
            .is_some_and(|p| !p.contains(&at.partition))
            || self.from_offset.is_some_and(|from| at.offset < from)
            || self.until_offset.is_some_and(|until| at.offset >= until)
        {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(timestamp) = record.timestamp.map(|t| t.millis) else {
                return false;
            };
            if self.since.is_some_and(|since| timestamp < since)
                || self.until.is_some_and(|until| timestamp >= until)
            {
                return false;
            }
        }
        if let Some(pattern) = &self.key
            && !record
                .key
                .as_deref()
                .is_some_and(|key| pattern.is_match(key))
        {
            return false;
        }
        for condition in &self.headers {
            let mut values = record
                .headers
                .iter()
                .filter(|h| h.name == condition.name)
                .peekable();
            let found = match &condition.pattern {
                None => values.peek().is_some(),
                Some(pattern) => {
                    values.any(|h| h.value.as_deref().is_some_and(|v| pattern.is_match(v)))
                }
            };
            if !found {
                return false;
            }
        }
        if let Some(pattern) = &self.grep
            && !pattern.is_match(&value_text(record))
        {
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(partition: i32, offset: i64, millis: i64, key: &[u8], exception: &str) -> Record {
        Record::test(partition, offset)
            .created_at(millis)
            .with_key(Some(key))
            .with_value(Some(format!("payload {offset}").as_bytes()))
            .with_header("exception", exception)
    }

    /// The default filter with one condition set by `set`.
    fn with(set: impl FnOnce(&mut Filter)) -> Filter {
        let mut filter = Filter::default();
        set(&mut filter);
        filter
    }

    fn header(name: &str, pattern: Option<&str>) -> HeaderCondition {
        HeaderCondition {
            name: name.into(),
            pattern: pattern.map(|pattern| BytesRegex::new(pattern).unwrap()),
        }
    }

    fn text(record: &Record) -> String {
        String::from_utf8_lossy(record.value.as_deref().unwrap_or_default()).into_owned()
    }

    #[test]
    fn each_condition() {
        let r = record(1, 10, 5_000, b"order-7", "java.lang.IllegalStateException");
        let cases: Vec<(Filter, bool)> = vec![
            (Filter::default(), true),
            (with(|f| f.partitions = Some([0].into())), false),
            (with(|f| f.partitions = Some([0, 1].into())), true),
            (with(|f| f.from_offset = Some(10)), true),
            (with(|f| f.from_offset = Some(11)), false),
            (with(|f| f.until_offset = Some(10)), false),
            (with(|f| f.until_offset = Some(11)), true),
            (with(|f| f.since = Some(5_000)), true),
            (with(|f| f.since = Some(5_001)), false),
            (with(|f| f.until = Some(5_000)), false),
            (
                with(|f| f.key = Some(BytesRegex::new("^order-[0-9]$").unwrap())),
                true,
            ),
            (
                with(|f| f.key = Some(BytesRegex::new("^customer").unwrap())),
                false,
            ),
            (with(|f| f.headers = vec![header("exception", None)]), true),
            (
                with(|f| f.headers = vec![header("exception", Some("Timeout"))]),
                false,
            ),
            (with(|f| f.headers = vec![header("missing", None)]), false),
            (
                with(|f| f.grep = Some(regex::Regex::new("payload 1[0-9]").unwrap())),
                true,
            ),
            (
                with(|f| f.grep = Some(regex::Regex::new("nope").unwrap())),
                false,
            ),
        ];
        for (i, (filter, expected)) in cases.iter().enumerate() {
            assert_eq!(
                Filter::matches(filter, &r, &mut text),
                *expected,
                "case {i}: {filter:?}"
            );
        }
    }

    #[test]
    fn grep_renders_only_when_needed() {
        let r = record(0, 0, 0, b"k", "e");
        let mut calls = 0;
        let mut count = |record: &Record| {
            calls += 1;
            text(record)
        };
        assert!(Filter::matches(&Filter::default(), &r, &mut count));
        assert_eq!(calls, 0);
    }
}

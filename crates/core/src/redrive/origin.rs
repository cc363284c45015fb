//! Where a dead-lettered record came from, as the framework that parked it wrote down in its
//! headers: Spring Kafka (binary numbers), Kafka Connect and Kafka Streams (text), Karafka
//! (text). Header contents are untrusted: every problem is a [`OriginProblem`], never a panic.

use std::fmt;

use crate::record::Header;

/// The framework whose headers named the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Framework {
    Spring,
    Connect,
    Streams,
    Karafka,
    /// SmallRye Reactive Messaging (Quarkus).
    SmallRye,
    /// A share group's dead-letter queue (KIP-1191), written by the broker.
    ShareGroup,
    /// An in-house DLQ writer's headers, named with `--origin-header`.
    InHouse,
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Spring => "Spring Kafka",
            Self::Connect => "Kafka Connect",
            Self::Streams => "Kafka Streams",
            Self::Karafka => "Karafka",
            Self::SmallRye => "SmallRye Reactive Messaging",
            Self::ShareGroup => "a share group's dead-letter queue",
            Self::InHouse => "--origin-header",
        })
    }
}

/// How a framework encodes the partition and offset headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// Big-endian binary: 4 bytes for the partition, 8 for the offset (Spring Kafka).
    Binary,
    /// Decimal UTF-8 text.
    Text,
}

/// The origin header names of one framework.
struct Family {
    framework: Framework,
    /// Header names of the topic, the first present wins.
    topic: &'static [&'static str],
    partition: &'static [&'static str],
    offset: &'static [&'static str],
    numbers: Numbers,
}

/// The frameworks whose headers name an origin. When several did (a record dead-lettered,
/// redriven, and dead-lettered again elsewhere), the newest names it: the one whose topic
/// header comes last (each appends its headers after those the record had).
const FAMILIES: &[Family] = &[
    Family {
        framework: Framework::Spring,
        topic: &["kafka_dlt-original-topic"],
        partition: &["kafka_dlt-original-partition"],
        offset: &["kafka_dlt-original-offset"],
        numbers: Numbers::Binary,
    },
    Family {
        framework: Framework::Connect,
        topic: &["__connect.errors.topic"],
        partition: &["__connect.errors.partition"],
        offset: &["__connect.errors.offset"],
        numbers: Numbers::Text,
    },
    Family {
        framework: Framework::Streams,
        topic: &["__streams.errors.topic"],
        partition: &["__streams.errors.partition"],
        offset: &["__streams.errors.offset"],
        numbers: Numbers::Text,
    },
    Family {
        framework: Framework::Karafka,
        topic: &["source_topic", "original_topic"],
        partition: &["source_partition", "original_partition"],
        offset: &["source_offset", "original_offset"],
        numbers: Numbers::Text,
    },
    Family {
        framework: Framework::SmallRye,
        topic: &["dead-letter-topic"],
        partition: &["dead-letter-partition"],
        offset: &["dead-letter-offset"],
        numbers: Numbers::Text,
    },
    Family {
        framework: Framework::ShareGroup,
        topic: &[SHARE_DLQ_TOPIC],
        partition: &["__dlq.errors.partition"],
        offset: &["__dlq.errors.offset"],
        numbers: Numbers::Text,
    },
];

/// The header naming the topic of a record a share group dead-lettered (KIP-1191).
pub const SHARE_DLQ_TOPIC: &str = "__dlq.errors.topic";

/// The prefixes of the DLQ frameworks' own metadata headers (`--strip-dlq-headers`): Spring's
/// `kafka_dlt-*` and its retry state (`retry_topic-attempts`, `-original-timestamp`,
/// `-backoff-timestamp`: kept, they send a redriven record straight back through Spring's
/// retry topics to the DLT), Connect's, Streams', SmallRye's `dead-letter-*` and a share
/// group's `__dlq.errors.*`. Karafka's `source_*` names are too generic to be stripped by
/// prefix.
pub const DLQ_HEADER_PREFIXES: &[&str] = &[
    "kafka_dlt-",
    "retry_topic-",
    "__connect.errors.",
    "__streams.errors.",
    "dead-letter-",
    "__dlq.errors.",
];

/// Whether `name` is a DLQ framework's metadata header.
#[must_use]
pub fn is_dlq_metadata(name: &str) -> bool {
    DLQ_HEADER_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// The topic (and where known, partition and offset) a record was dead-lettered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub framework: Framework,
    pub topic: String,
    pub partition: Option<i32>,
    pub offset: Option<i64>,
}

/// Why the origin headers cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginProblem {
    #[error("header {header} is empty")]
    Empty { header: &'static str },
    #[error("header {header} is not valid UTF-8")]
    NotUtf8 { header: &'static str },
    #[error("header {header} names {topic:?}, which is not a legal topic name")]
    IllegalTopic { header: &'static str, topic: String },
    #[error("header {header} holds {len} byte(s), expected {expected} (a big-endian number)")]
    WrongLength {
        header: &'static str,
        len: usize,
        expected: usize,
    },
    #[error("header {header} holds {text:?}, expected a non-negative decimal number")]
    NotANumber { header: &'static str, text: String },
}

/// How an in-house DLQ writer names a record's origin (`--origin-header
/// topic=NAME[,partition=NAME[:text|:int32|:int64]]`): the topic as text, the partition as
/// decimal text (the default) or a big-endian binary number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginHeaders {
    pub topic: String,
    pub partition: Option<(String, NumberFormat)>,
}

/// How a header holds a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberFormat {
    /// Decimal UTF-8 text.
    Text,
    /// 4 bytes, big-endian.
    Int32,
    /// 8 bytes, big-endian.
    Int64,
}

impl std::str::FromStr for OriginHeaders {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (mut topic, mut partition) = (None, None);
        for part in spec.split(',') {
            let Some((key, value)) = part.split_once('=') else {
                return Err(format!("{part:?} is not KEY=HEADER"));
            };
            let value = value.trim();
            let key = key.trim();
            if (key == "topic" && topic.is_some()) || (key == "partition" && partition.is_some()) {
                return Err(format!("{key}= is given twice"));
            }
            match key {
                "topic" if !value.is_empty() => topic = Some(value.to_owned()),
                "partition" => {
                    let (name, format) = match value.rsplit_once(':') {
                        Some((name, "text")) => (name, NumberFormat::Text),
                        Some((name, "int32")) => (name, NumberFormat::Int32),
                        Some((name, "int64")) => (name, NumberFormat::Int64),
                        Some((_, other)) => {
                            return Err(format!(
                                "partition format {other:?}: give text, int32 or int64"
                            ));
                        }
                        None => (value, NumberFormat::Text),
                    };
                    if name.is_empty() {
                        return Err("partition= names no header".to_owned());
                    }
                    partition = Some((name.to_owned(), format));
                }
                "topic" => return Err("topic= names no header".to_owned()),
                other => return Err(format!("{other:?}: only topic and partition are known")),
            }
        }
        let topic = topic.ok_or("topic=HEADER is required")?;
        Ok(Self { topic, partition })
    }
}

/// [`origin_of`], with an in-house writer's headers as one more family (`in_house`).
///
/// # Errors
/// As [`origin_of`].
pub fn origin_with(
    headers: &[Header],
    in_house: Option<&OriginHeaders>,
) -> Result<Option<Origin>, OriginProblem> {
    let Some(own) = in_house else {
        return origin_of(headers);
    };
    let position = |names: &[&str]| {
        headers
            .iter()
            .rposition(|h| names.contains(&h.name.as_str()))
    };
    let theirs = FAMILIES
        .iter()
        .filter_map(|family| position(family.topic))
        .max();
    let Some(at) = position(&[own.topic.as_str()]).filter(|&at| theirs.is_none_or(|t| at > t))
    else {
        return origin_of(headers);
    };
    // Header names given at run time: the problems name the option, not the header.
    let value = headers
        .get(at)
        .and_then(|h| h.value.as_deref())
        .unwrap_or_default();
    let topic = text("--origin-header topic", value)?;
    if !is_legal_topic(topic) {
        return Err(OriginProblem::IllegalTopic {
            header: "--origin-header topic",
            topic: topic.to_owned(),
        });
    }
    let partition = match &own.partition {
        Some((name, format)) => match headers.iter().rev().find(|h| &h.name == name) {
            Some(header) => {
                let value = header.value.as_deref().unwrap_or_default();
                let name = "--origin-header partition";
                let partition: i64 = match format {
                    NumberFormat::Text => decimal(name, value)?,
                    NumberFormat::Int32 => i64::from(i32::from_be_bytes(fixed(name, value)?)),
                    NumberFormat::Int64 => i64::from_be_bytes(fixed(name, value)?),
                };
                Some(i32::try_from(partition).ok().filter(|&p| p >= 0).ok_or(
                    OriginProblem::NotANumber {
                        header: name,
                        text: partition.to_string(),
                    },
                )?)
            }
            None => None,
        },
        None => None,
    };
    Ok(Some(Origin {
        framework: Framework::InHouse,
        topic: topic.to_owned(),
        partition,
        offset: None,
    }))
}

/// The origin named by `headers`: by the framework (Spring, Connect, Streams, Karafka,
/// SmallRye, a share group) whose topic header comes last; `Ok(None)` when none is present.
///
/// # Errors
/// When that framework's headers are unusable (empty, not UTF-8, an illegal topic name, a
/// number of the wrong length or not a number). A bad partition or offset header makes the
/// whole origin unusable: a record is never sent somewhere half understood.
pub fn origin_of(headers: &[Header]) -> Result<Option<Origin>, OriginProblem> {
    let newest = headers.iter().rev().find_map(|header| {
        FAMILIES
            .iter()
            .find(|family| family.topic.contains(&header.name.as_str()))
    });
    if let Some(family) = newest {
        let Some((name, value)) = find(headers, family.topic) else {
            return Ok(None);
        };
        let topic = text(name, value)?;
        if !is_legal_topic(topic) {
            return Err(OriginProblem::IllegalTopic {
                header: name,
                topic: topic.to_owned(),
            });
        }
        let partition = match find(headers, family.partition) {
            Some((name, value)) => Some(match family.numbers {
                Numbers::Binary => i32::from_be_bytes(fixed(name, value)?),
                Numbers::Text => decimal(name, value)?,
            }),
            None => None,
        };
        let offset = match find(headers, family.offset) {
            Some((name, value)) => Some(match family.numbers {
                Numbers::Binary => i64::from_be_bytes(fixed(name, value)?),
                Numbers::Text => decimal(name, value)?,
            }),
            None => None,
        };
        if let Some(partition) = partition.filter(|&p| p < 0) {
            return Err(OriginProblem::NotANumber {
                header: family.partition[0],
                text: partition.to_string(),
            });
        }
        return Ok(Some(Origin {
            framework: family.framework,
            topic: topic.to_owned(),
            partition,
            offset,
        }));
    }
    Ok(None)
}

/// The last header with one of `names` (frameworks append; the newest wins), with its value
/// (an absent value reads as empty).
fn find<'a>(headers: &'a [Header], names: &[&'static str]) -> Option<(&'static str, &'a [u8])> {
    names.iter().find_map(|&name| {
        headers
            .iter()
            .rev()
            .find(|h| h.name == name)
            .map(|h| (name, h.value.as_deref().unwrap_or_default()))
    })
}

fn text<'a>(header: &'static str, value: &'a [u8]) -> Result<&'a str, OriginProblem> {
    if value.is_empty() {
        return Err(OriginProblem::Empty { header });
    }
    std::str::from_utf8(value).map_err(|_| OriginProblem::NotUtf8 { header })
}

fn fixed<const N: usize>(header: &'static str, value: &[u8]) -> Result<[u8; N], OriginProblem> {
    value.try_into().map_err(|_| OriginProblem::WrongLength {
        header,
        len: value.len(),
        expected: N,
    })
}

fn decimal<T: std::str::FromStr>(header: &'static str, value: &[u8]) -> Result<T, OriginProblem> {
    let text = text(header, value)?.trim();
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OriginProblem::NotANumber {
            header,
            text: text.to_owned(),
        });
    }
    text.parse().map_err(|_| OriginProblem::NotANumber {
        header,
        text: text.to_owned(),
    })
}

/// Kafka's rule for topic names: 1 to 249 characters of ASCII letters, digits, `.`, `_` and
/// `-`, and not `.` or `..`.
#[must_use]
pub fn is_legal_topic(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A Spring Kafka header that holds a big-endian binary number, shown as that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpringNumber {
    Partition(i32),
    Offset(i64),
    /// Milliseconds since the epoch.
    Timestamp(i64),
}

/// The number in `value` when `name` is one of Spring Kafka's binary headers and the value
/// has the length that header has; `None` otherwise (shown as bytes then).
#[must_use]
pub fn spring_number(name: &str, value: &[u8]) -> Option<SpringNumber> {
    let name = name.strip_prefix("kafka_dlt-")?;
    // The key-exception variants and the retry topic's copies share the suffixes.
    match name {
        "original-partition" => Some(SpringNumber::Partition(i32::from_be_bytes(
            value.try_into().ok()?,
        ))),
        "original-offset" => Some(SpringNumber::Offset(i64::from_be_bytes(
            value.try_into().ok()?,
        ))),
        "original-timestamp" => Some(SpringNumber::Timestamp(i64::from_be_bytes(
            value.try_into().ok()?,
        ))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_in_house_writers_headers_name_the_origin() {
        let spec: OriginHeaders = "topic=x-source,partition=x-part:int32".parse().unwrap();
        assert_eq!(
            spec,
            OriginHeaders {
                topic: "x-source".into(),
                partition: Some(("x-part".into(), NumberFormat::Int32)),
            }
        );
        let ours = [
            header("x-source", b"orders"),
            header("x-part", &3i32.to_be_bytes()),
        ];
        let origin = origin_with(&ours, Some(&spec)).unwrap().unwrap();
        assert_eq!(
            (origin.framework, origin.topic.as_str(), origin.partition),
            (Framework::InHouse, "orders", Some(3))
        );
        // Text by default; int64 too.
        let text: OriginHeaders = "topic=x-source,partition=x-part".parse().unwrap();
        let decimal = [header("x-source", b"orders"), header("x-part", b"7")];
        assert_eq!(
            origin_with(&decimal, Some(&text))
                .unwrap()
                .unwrap()
                .partition,
            Some(7)
        );
        let long: OriginHeaders = "topic=x-source,partition=x-part:int64".parse().unwrap();
        let wide = [
            header("x-source", b"orders"),
            header("x-part", &9i64.to_be_bytes()),
        ];
        assert_eq!(
            origin_with(&wide, Some(&long)).unwrap().unwrap().partition,
            Some(9)
        );
        // A wrong width is a problem, never a guess.
        assert!(origin_with(&decimal, Some(&spec)).is_err());
        // The newest family wins, theirs or ours.
        let mut spring_after = ours.to_vec();
        spring_after.push(header("kafka_dlt-original-topic", b"payments"));
        assert_eq!(
            origin_with(&spring_after, Some(&spec))
                .unwrap()
                .unwrap()
                .topic,
            "payments"
        );
        // Without our header: as without the option.
        assert_eq!(origin_with(&[header("other", b"x")], Some(&spec)), Ok(None));
        assert_eq!(
            " topic = x-source ".parse::<OriginHeaders>().unwrap().topic,
            "x-source"
        );
        for bad in [
            "",
            "partition=p",
            "topic=",
            "topic=t,partition=p:float",
            "queue=t",
            "topic=a,topic=b",
        ] {
            assert!(bad.parse::<OriginHeaders>().is_err(), "{bad}");
        }
    }

    fn header(name: &str, value: &[u8]) -> Header {
        Header {
            name: name.into(),
            value: Some(value.to_vec()),
        }
    }

    fn spring(topic: &[u8], partition: &[u8], offset: &[u8]) -> Vec<Header> {
        vec![
            header(
                "kafka_dlt-exception-fqcn",
                b"java.lang.IllegalStateException",
            ),
            header("kafka_dlt-original-topic", topic),
            header("kafka_dlt-original-partition", partition),
            header("kafka_dlt-original-offset", offset),
        ]
    }

    #[test]
    fn each_framework() {
        let spring = spring(b"orders", &3i32.to_be_bytes(), &77i64.to_be_bytes());
        let connect = vec![
            header("__connect.errors.topic", b"payments"),
            header("__connect.errors.partition", b"2"),
            header("__connect.errors.offset", b"12345"),
        ];
        let streams = vec![
            header("__streams.errors.topic", b"clicks"),
            header("__streams.errors.partition", b"0"),
        ];
        let karafka = vec![
            header("original_topic", b"old-name"),
            header("source_topic", b"events"),
            header("source_partition", b"5"),
            header("source_offset", b"9"),
        ];
        let cases = [
            (spring, Framework::Spring, "orders", Some(3), Some(77)),
            (
                connect,
                Framework::Connect,
                "payments",
                Some(2),
                Some(12345),
            ),
            (streams, Framework::Streams, "clicks", Some(0), None),
            (karafka, Framework::Karafka, "events", Some(5), Some(9)),
        ];
        for (headers, framework, topic, partition, offset) in cases {
            assert_eq!(
                origin_of(&headers),
                Ok(Some(Origin {
                    framework,
                    topic: topic.into(),
                    partition,
                    offset,
                })),
                "{framework}"
            );
        }
    }

    /// A record dead-lettered by one framework, redriven, and dead-lettered again by another
    /// carries both families: the newest (appended last) names where it failed.
    #[test]
    fn the_newest_family_names_the_origin_and_no_header_is_none() {
        let spring = spring(b"from-spring", &0i32.to_be_bytes(), &0i64.to_be_bytes());
        let connect = vec![
            header("__connect.errors.topic", b"from-connect"),
            header("__connect.errors.partition", b"4"),
        ];
        let spring_then_connect = [spring.clone(), connect.clone()].concat();
        let origin = origin_of(&spring_then_connect).unwrap().unwrap();
        assert_eq!(
            (origin.framework, origin.topic.as_str(), origin.partition),
            (Framework::Connect, "from-connect", Some(4))
        );
        let connect_then_spring = [connect, spring].concat();
        let origin = origin_of(&connect_then_spring).unwrap().unwrap();
        assert_eq!(
            (origin.framework, origin.topic.as_str(), origin.partition),
            (Framework::Spring, "from-spring", Some(0))
        );
        // SmallRye Reactive Messaging (Quarkus): text numbers.
        let quarkus = [
            header(
                "dead-letter-exception-class-name",
                b"java.lang.RuntimeException",
            ),
            header("dead-letter-reason", b"Something went wrong"),
            header("dead-letter-topic", b"movies"),
            header("dead-letter-partition", b"0"),
            header("dead-letter-offset", b"17"),
        ];
        assert_eq!(
            origin_of(&quarkus).unwrap(),
            Some(Origin {
                framework: Framework::SmallRye,
                topic: "movies".to_owned(),
                partition: Some(0),
                offset: Some(17),
            })
        );
        assert_eq!(origin_of(&[header("exception", b"x")]), Ok(None));
        assert_eq!(origin_of(&[]), Ok(None));
    }

    #[test]
    fn bad_headers_are_problems() {
        let p = &1i32.to_be_bytes();
        let o = &1i64.to_be_bytes();
        let cases: Vec<(Vec<Header>, &str)> = vec![
            (
                spring(b"", p, o),
                "header kafka_dlt-original-topic is empty",
            ),
            (
                spring(b"ord\xffers", p, o),
                "header kafka_dlt-original-topic is not valid UTF-8",
            ),
            (
                spring(b"orders/../x", p, o),
                "names \"orders/../x\", which is not a legal topic name",
            ),
            (spring(b"..", p, o), "not a legal topic name"),
            (
                spring(b"orders", &[0, 1], o),
                "header kafka_dlt-original-partition holds 2 byte(s), expected 4",
            ),
            (
                spring(b"orders", p, &[0; 4]),
                "header kafka_dlt-original-offset holds 4 byte(s), expected 8",
            ),
            (
                spring(b"orders", &(-1i32).to_be_bytes(), o),
                "expected a non-negative decimal number",
            ),
            (
                vec![
                    header("__connect.errors.topic", b"t"),
                    header("__connect.errors.partition", b"two"),
                ],
                "header __connect.errors.partition holds \"two\"",
            ),
            (
                vec![
                    header("__connect.errors.topic", b"t"),
                    header("__connect.errors.partition", b"-3"),
                ],
                "expected a non-negative decimal number",
            ),
            (
                vec![header("source_topic", &[b'a'; 250])],
                "not a legal topic name",
            ),
        ];
        for (headers, expected) in cases {
            let problem = origin_of(&headers).expect_err(expected).to_string();
            assert!(problem.contains(expected), "{problem:?} lacks {expected:?}");
        }
    }

    #[test]
    fn null_header_values_read_as_empty() {
        let headers = vec![Header {
            name: "__streams.errors.topic".into(),
            value: None,
        }];
        assert_eq!(
            origin_of(&headers),
            Err(OriginProblem::Empty {
                header: "__streams.errors.topic"
            })
        );
    }

    #[test]
    fn metadata_families_and_spring_numbers() {
        for name in [
            "kafka_dlt-exception-message",
            "__connect.errors.stage",
            "__streams.errors.stacktrace",
            "dead-letter-reason",
            "retry_topic-attempts",
            "retry_topic-backoff-timestamp",
            "__dlq.errors.delivery.count",
        ] {
            assert!(is_dlq_metadata(name), "{name}");
        }
        for name in [
            "source_topic",
            "traceparent",
            "kafka_dlt",
            "__connect.error",
        ] {
            assert!(!is_dlq_metadata(name), "{name}");
        }
        assert_eq!(
            spring_number("kafka_dlt-original-partition", &7i32.to_be_bytes()),
            Some(SpringNumber::Partition(7))
        );
        assert_eq!(
            spring_number(
                "kafka_dlt-original-timestamp",
                &1_700_000_000_000i64.to_be_bytes()
            ),
            Some(SpringNumber::Timestamp(1_700_000_000_000))
        );
        assert_eq!(spring_number("kafka_dlt-original-offset", &[1, 2]), None);
        assert_eq!(spring_number("kafka_dlt-original-topic", b"orders"), None);
    }
}

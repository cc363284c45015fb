//! Bad input against the real broker (issue 7): truncated wire-format frames, unknown schema
//! ids, Avro that does not match its schema (corrupt, truncated, bytes left over, and hostile
//! payloads: nesting deep enough to overflow the stack, a few bytes asking for millions of
//! values), invalid UTF-8 in keys and header values, a 5 MiB value, an empty topic and a topic
//! of tombstones only. Through `print`, `merge-all`, `purge-all` and `ask`: the tool never
//! crashes, shows what it cannot decode raw with the reason, and what it writes is checked
//! byte for byte with the Java checker.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::executor::block_on;
use httpmock::{Method::GET, MockServer};
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{Value, json};

use crate::common::*;

/// Magic byte 0 and `id`, then `payload`.
fn framed(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend(id.to_be_bytes());
    bytes.extend(payload);
    bytes
}

/// Avro's zig-zag varint encoding of `long`.
fn long(n: i64) -> Vec<u8> {
    let mut z = ((n << 1) ^ (n >> 63)).cast_unsigned();
    let mut out = Vec::new();
    loop {
        let byte = (z & 0x7f) as u8;
        z >>= 7;
        if z == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

const RECORD: u32 = 7;
const LIST: u32 = 21;
const NULLS: u32 = 22;

/// Serves schema 7 (a record with one string), 21 (a recursive list), 22 (an array of arrays
/// of `null`), and 404 for id 404.
fn serve(server: &MockServer) {
    let schemas = [
        (
            RECORD,
            r#"{"type":"record","name":"R","namespace":"com.acme","fields":[{"name":"s","type":"string"}]}"#,
        ),
        (
            LIST,
            r#"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}"#,
        ),
        (
            NULLS,
            r#"{"type":"array","items":{"type":"array","items":"null"}}"#,
        ),
    ];
    for (id, schema) in schemas {
        server.mock(|when, then| {
            when.method(GET).path(format!("/schemas/ids/{id}"));
            then.status(200)
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(json!({ "schema": schema }).to_string());
        });
    }
    server.mock(|when, then| {
        when.method(GET).path("/schemas/ids/404");
        then.status(404)
            .header("content-type", "application/vnd.schemaregistry.v1+json")
            .body(r#"{"error_code":40403,"message":"Schema 404 not found"}"#);
    });
}

/// The malformed values, each with the reason `print -a` gives for it (a prefix of it).
fn malformed() -> Vec<(Vec<u8>, &'static str)> {
    // 200,000 list nodes: deep enough to overflow any stack if decoded.
    let mut deep = vec![2; 200_000];
    deep.push(0);
    // 20 inner arrays of a million nulls each, in 82 bytes.
    let mut nulls = long(20);
    for _ in 0..20 {
        nulls.extend(long(1_000_000));
        nulls.extend(long(0));
    }
    nulls.extend(long(0));
    vec![
        (
            vec![0],
            "not in the schema registry wire format: 1 byte(s), the frame alone takes 5",
        ),
        (
            vec![0, 0, 0, 7],
            "not in the schema registry wire format: 4 byte(s), the frame alone takes 5",
        ),
        (
            framed(404, b"x"),
            "cannot fetch schema 404: HTTP request to schema registry failed with status 404 Not Found",
        ),
        (
            framed(RECORD, &long(-1)),
            "schema 7 (com.acme.R): corrupt Avro data: a negative length -1 at byte 0",
        ),
        (
            framed(RECORD, b"\x06ab"),
            "schema 7 (com.acme.R): corrupt Avro data: the payload ends inside the datum (truncated?)",
        ),
        (
            framed(RECORD, b"\x06abcXYZ"),
            "schema 7 (com.acme.R): corrupt Avro data: 3 byte(s) left over after the datum",
        ),
        (
            framed(RECORD, b"\x02\xff"),
            "schema 7 (com.acme.R): corrupt Avro data: ",
        ),
        (
            framed(LIST, &deep),
            "schema 21 (Node): too deep to decode for display: more than 128 levels of nesting",
        ),
        (
            framed(NULLS, &nulls),
            "schema 22 (array): too large to decode for display: more than 1000000 values",
        ),
    ]
}

/// A DLQ holding the malformed values (keys `bad-0`, `bad-1`, ...) and one good record last.
fn malformed_dlq() -> (String, Vec<TestRecord>) {
    let dlq = unique("bad-dlq");
    kafka().create_topic(&dlq, 1, true);
    let mut records: Vec<TestRecord> = malformed()
        .into_iter()
        .enumerate()
        .map(|(i, (value, _))| {
            TestRecord::new(0, Some(format!("bad-{i}").as_bytes()), Some(&value))
        })
        .collect();
    records.push(TestRecord::new(
        0,
        Some(b"good"),
        Some(&framed(RECORD, b"\x06abc")),
    ));
    kafka().produce(&dlq, &records);
    (dlq, records)
}

fn registry_args(server: &MockServer) -> Vec<String> {
    vec![
        "-o".into(),
        format!("schema.registry.url={}", server.base_url()),
    ]
}

/// Runs merge-all, purge-all and ask (answering `answers`) on `dlq`, each with a group of its
/// own, and checks that each succeeded; what each said on stderr, with the command's name.
fn every_writing_command(dlq: &str, retry: &str, answers: &[u8]) -> Vec<(&'static str, String)> {
    [("merge-all", true), ("purge-all", false), ("ask", true)]
        .into_iter()
        .map(|(command, merges)| {
            let mut args = vec![command, dlq];
            if merges {
                args.push(retry);
            }
            let run = Kmp::new()
                .group(&unique("group"))
                .args(args)
                .stdin(answers)
                .run();
            assert!(run.status.success(), "{command}: {}", run.stderr_text());
            (command, run.stderr_text())
        })
        .collect()
}

fn json_lines(run: &RunOutput) -> Vec<Value> {
    run.stdout_text()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

/// Key, value and headers of a record.
type Payload = (
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Vec<(String, Option<Vec<u8>>)>,
);

/// Key, value and headers of records, in order: what must survive a merge byte for byte.
fn payloads(records: &[ReadRecord]) -> Vec<Payload> {
    records
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), r.headers.clone()))
        .collect()
}

/// [`payloads`] of the copies merging `records` once makes (the replay counter added).
fn copies_of(records: &[ReadRecord]) -> Vec<Payload> {
    records
        .iter()
        .map(|r| (r.key.clone(), r.value.clone(), as_merged(&r.headers)))
        .collect()
}

/// The keys of the tombstones in `dlq` after its first `before` records.
fn tombstones_after(dlq: &str, before: usize) -> Vec<Option<Vec<u8>>> {
    let after = kafka().read_all(dlq, Isolation::ReadCommitted);
    assert!(after.len() >= before, "{dlq} lost records");
    after[before..]
        .iter()
        .map(|r| {
            assert_eq!(r.value, None, "only tombstones are added to {dlq}");
            r.key.clone()
        })
        .collect()
}

#[test]
fn print_shows_malformed_values_raw_with_the_reason() {
    let server = MockServer::start();
    serve(&server);
    let (dlq, records) = malformed_dlq();
    let cases = malformed();

    let started = Instant::now();
    let run = Kmp::new()
        .args(registry_args(&server))
        .args(["-a", "print", &dlq, "--output", "json"])
        .ok();
    let lines = json_lines(&run);
    assert_eq!(lines.len(), records.len(), "{}", run.stdout_text());
    for (i, (value, reason)) in cases.iter().enumerate() {
        let shown = &lines[i]["value"];
        let error = shown["error"]
            .as_str()
            .unwrap_or_else(|| panic!("record {i}: no error in {shown}"));
        assert!(error.starts_with(reason), "record {i}: {error}");
        assert!(!error.contains('\n'), "record {i}: {error}");
        assert_eq!(shown["encoding"], "base64", "record {i}");
        assert_eq!(shown["data"], BASE64.encode(value), "record {i}: raw bytes");
    }
    assert_eq!(
        lines[cases.len()]["value"],
        json!({"encoding": "json", "data": {"s": "abc"}, "schema_id": 7, "schema_type": "avro", "schema_name": "com.acme.R"})
    );
    // The hostile payloads cost no more than the others.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );

    let run = Kmp::new()
        .args(registry_args(&server))
        .args(["-a", "print", &dlq])
        .ok();
    let text = run.stdout_text();
    assert_eq!(
        text.matches("Record at offset").count(),
        records.len(),
        "{text}"
    );
    assert!(
        text.contains(
            "    Value (not decoded: not in the schema registry wire format: 1 byte(s), the frame alone takes 5):\n        00000000  00 "
        ),
        "{text}"
    );
    assert_contains(
        &text,
        "    Value (not decoded: schema 21 (Node): too deep to decode for display: more than 128 levels of nesting):\n        00000000  00 00 00 00 15 02 02 02",
    );
    // The 200 kB list is cut in the text block.
    assert_contains(&text, "more byte(s) not shown (--full-values shows them)");
}

#[test]
fn merge_all_and_ask_write_malformed_records_byte_for_byte() {
    let server = MockServer::start();
    serve(&server);
    let (dlq, records) = malformed_dlq();
    let source = kafka().read_all(&dlq, Isolation::ReadCommitted);
    assert_eq!(source.len(), records.len());

    // merge-all, decoding forced: every record merged whole and tombstoned.
    let retry = unique("bad-retry");
    kafka().create_topic(&retry, 1, false);
    let group = unique("group");
    let run = Kmp::new()
        .args(registry_args(&server))
        .group(&group)
        .args(["-a", "-t", "merge-all", &dlq, &retry])
        .ok();
    assert!(
        run.stderr_text().contains(&format!(
            "Successfully processed records: {} merged, 0 purged, 0 skipped",
            records.len()
        )),
        "{}",
        run.stderr_text()
    );
    assert_eq!(
        payloads(&kafka().read_all(&retry, Isolation::ReadCommitted)),
        copies_of(&source)
    );
    assert_eq!(
        tombstones_after(&dlq, source.len()),
        source.iter().map(|r| r.key.clone()).collect::<Vec<_>>()
    );

    // ask on a fresh DLQ: each record shown with its reason, then merged, purged or skipped.
    let (dlq, records) = malformed_dlq();
    let source = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let retry = unique("bad-retry");
    kafka().create_topic(&retry, 1, false);
    let group = unique("group");
    let answers: Vec<&str> = (0..records.len()).map(|i| ["m", "p", "s"][i % 3]).collect();
    let stdin = format!("{}\n", answers.join("\n"));
    let run = Kmp::new()
        .args(registry_args(&server))
        .group(&group)
        .args(["-a", "ask", &dlq, &retry])
        .stdin(stdin.as_bytes())
        .ok();
    let said = run.stderr_text();
    assert_contains(
        &said,
        "Successfully processed records: 4 merged, 3 purged, 3 skipped",
    );
    for (_, reason) in malformed() {
        assert!(
            said.contains(&format!("Value (not decoded: {reason}")),
            "{reason}: {said}"
        );
    }
    let merged: Vec<_> = source.iter().step_by(3).cloned().collect();
    assert_eq!(
        payloads(&kafka().read_all(&retry, Isolation::ReadCommitted)),
        copies_of(&merged)
    );
    let decided: Vec<_> = source
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 2)
        .map(|(_, r)| r.key.clone())
        .collect();
    assert_eq!(tombstones_after(&dlq, source.len()), decided);
}

#[test]
fn invalid_utf8_keys_and_header_values_survive_byte_for_byte() {
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    let keys: [&[u8]; 4] = [
        &[0xff, 0xfe, b'k'],
        &[0xc3, 0x28],
        // A UTF-16 surrogate encoded as UTF-8: not UTF-8.
        &[0xed, 0xa0, 0x80],
        b"bell\x07",
    ];
    let records: Vec<TestRecord> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            TestRecord::new(0, Some(key), Some(format!("value-{i}").as_bytes()))
                .header("trace", Some(&[0xc0, 0xaf]))
                .header("cause", Some(b"caf\xe9"))
                .header("trace", Some(b"ok"))
                .header("none", None)
                .header("empty", Some(b""))
        })
        .collect();
    kafka().produce(&dlq, &records);
    let source = kafka().read_all(&dlq, Isolation::ReadCommitted);

    let run = Kmp::new().print(&dlq).ok();
    let text = run.stdout_text();
    assert_contains(&text, "    Key: 0xfffe6b\n");
    assert_contains(&text, "    Key: 0xc328\n");
    assert_contains(&text, "    Key: 0xeda080\n");
    assert_contains(&text, "    Key: 0x62656c6c07\n");
    assert_contains(&text, "        trace: 0xc0af\n");
    assert_contains(&text, "        cause: 0x636166e9\n");
    assert_contains(&text, "        none: <null>\n");

    let run = Kmp::new().print(&dlq).args(["--output", "json"]).ok();
    let lines = json_lines(&run);
    for (line, key) in lines.iter().zip(keys) {
        assert_eq!(
            line["key"],
            json!({"encoding": "base64", "data": BASE64.encode(key)})
        );
        assert_eq!(
            line["headers"],
            json!([
                {"name": "trace", "value": {"encoding": "base64", "data": BASE64.encode([0xc0, 0xaf])}},
                {"name": "cause", "value": {"encoding": "base64", "data": BASE64.encode(b"caf\xe9")}},
                {"name": "trace", "value": {"encoding": "utf8", "data": "ok"}},
                {"name": "none", "value": null},
                {"name": "empty", "value": {"encoding": "utf8", "data": ""}},
            ])
        );
    }

    // ask: merge, purge, merge, skip.
    let group = unique("group");
    let run = Kmp::new()
        .group(&group)
        .ask(&dlq, &retry)
        .stdin(b"m\np\nm\ns\n")
        .ok();
    run.assert_said("Successfully processed records: 2 merged, 1 purged, 1 skipped");
    assert_eq!(
        payloads(&kafka().read_all(&retry, Isolation::ReadCommitted)),
        copies_of(&[source[0].clone(), source[2].clone()])
    );
    assert_eq!(
        tombstones_after(&dlq, source.len()),
        [&source[0], &source[1], &source[2]].map(|r| r.key.clone())
    );
}

/// Writes one record of `value` to partition 0 of `topic` with a producer that allows
/// messages of `max_bytes`.
fn produce_large(topic: &str, key: &[u8], value: &[u8], max_bytes: usize) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", kafka().bootstrap().to_owned())
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("message.max.bytes", max_bytes.to_string())
        .create()
        .unwrap_or_else(|e| panic!("producer: {e}"));
    let record = FutureRecord::to(topic).partition(0).key(key).payload(value);
    block_on(producer.send(record, Duration::from_secs(60)))
        .unwrap_or_else(|(e, _)| panic!("producing {} bytes to {topic}: {e}", value.len()));
}

/// A refused `merge-all`: exit 1 saying `reason`, nothing copied into `retry`, the one record
/// still in `dlq`, nothing committed for `group`.
fn assert_refused(run: &RunOutput, reason: &str, dlq: &str, retry: &str, group: &str) {
    run.assert_exit(1);
    let said = run.stderr_text();
    assert!(said.contains(reason), "{said}");
    let copied = kafka().read_all(retry, Isolation::ReadUncommitted);
    assert!(copied.is_empty(), "{copied:?}");
    assert_eq!(kafka().read_all(dlq, Isolation::ReadUncommitted).len(), 1);
    assert!(kafka().group_offsets(group, dlq).is_empty());
}

#[test]
fn a_five_mib_value_needs_message_max_bytes_and_is_merged_byte_for_byte() {
    const FIVE_MIB: usize = 5 * 1024 * 1024;
    const LIMIT: usize = 6 * 1024 * 1024;
    let limit = LIMIT.to_string();
    let config = [
        ("max.message.bytes", limit.as_str()),
        ("cleanup.policy", "compact"),
    ];
    let dlq = unique("big-dlq");
    kafka().create_topic_with(&dlq, 1, &config);
    let retry = unique("big-retry");
    kafka().create_topic_with(&retry, 1, &config[..1]);
    let value: Vec<u8> = (0..FIVE_MIB).map(|i| (i % 251) as u8).collect();
    produce_large(&dlq, b"big", &value, LIMIT);

    // print: the value is read whole and cut for display.
    let run = Kmp::new().print(&dlq).ok();
    let text = run.stdout_text();
    assert!(
        text.contains(&format!(
            "… {} more byte(s) not shown (--full-values shows them)",
            FIVE_MIB - 1024
        )),
        "{}",
        &text[..text.len().min(2000)]
    );
    let run = Kmp::new().print(&dlq).args(["--output", "json"]).ok();
    assert_eq!(json_lines(&run)[0]["value"]["data"], BASE64.encode(&value));

    // Without a larger producer limit the copy is refused before it is sent, and the error
    // says what to raise: exit 1, nothing written, nothing committed.
    let group = unique("group");
    let run = Kmp::new().group(&group).merge_all(&dlq, &retry).run();
    assert_refused(
        &run,
        "the record is larger than the producer allows: raise message.max.bytes with -p",
        &dlq,
        &retry,
        &group,
    );

    // A destination topic with the broker's default limit refuses it: the same, and the
    // error names the topic setting.
    let small = unique("small-retry");
    kafka().create_topic(&small, 1, false);
    let producer_limit = format!("message.max.bytes={LIMIT}");
    let run = Kmp::new()
        .group(&group)
        .args(["-p", &producer_limit, "merge-all", &dlq, &small])
        .run();
    assert_refused(
        &run,
        "the destination topic refuses records this large: raise its max.message.bytes",
        &dlq,
        &small,
        &group,
    );

    // With -p message.max.bytes it goes through, byte for byte.
    let run = Kmp::new()
        .group(&group)
        .args(["-p", &producer_limit, "merge-all", &dlq, &retry])
        .ok();
    run.assert_said("Successfully processed records: 1 merged, 0 purged, 0 skipped");
    let merged = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].key.as_deref(), Some(&b"big"[..]));
    assert!(
        merged[0].value.as_deref() == Some(value.as_slice()),
        "value not byte-exact"
    );
    assert_eq!(tombstones_after(&dlq, 1), [Some(b"big".to_vec())]);
}

#[test]
fn an_empty_topic_ends_at_once_with_nothing_written() {
    let (dlq, retry) = kafka().dlq_and_retry(3, 1);
    let started = Instant::now();

    let run = Kmp::new().print(&dlq).ok();
    assert!(run.stdout.is_empty(), "{}", run.stdout_text());
    for (command, said) in every_writing_command(&dlq, &retry, b"m\n") {
        assert!(
            said.contains("Successfully processed records: 0 merged, 0 purged, 0 skipped"),
            "{command}: {said}"
        );
    }
    kafka().assert_empty(&dlq);
    kafka().assert_empty(&retry);
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_topic_of_tombstones_only_is_passed_over_or_merged_with_capital_t() {
    let dlq = unique("tomb-dlq");
    kafka().create_topic(&dlq, 1, true);
    let keys: [&[u8]; 3] = [b"a", &[0xff, 0x00], b"c"];
    let records: Vec<TestRecord> = keys
        .iter()
        .map(|key| TestRecord::new(0, Some(key), None).header("h", Some(&[0xfe])))
        .collect();
    kafka().produce(&dlq, &records);
    let source = kafka().read_all(&dlq, Isolation::ReadCommitted);
    assert_eq!(source.len(), 3);

    let run = Kmp::new().print(&dlq).ok();
    assert_eq!(
        run.stdout_text()
            .matches("    Value: <tombstone>\n")
            .count(),
        3,
        "{}",
        run.stdout_text()
    );

    // merge-all, purge-all and ask pass them over and write nothing.
    let retry = unique("tomb-retry");
    kafka().create_topic(&retry, 1, false);
    for (command, said) in every_writing_command(&dlq, &retry, b"m\nm\nm\n") {
        assert!(
            said.contains("Successfully processed records: 0 merged, 0 purged, 0 skipped"),
            "{command}: {said}"
        );
        assert!(
            said.contains("3 tombstone(s) already in the source were passed over"),
            "{command}: {said}"
        );
    }
    kafka().assert_empty(&retry);
    assert_eq!(kafka().read_all(&dlq, Isolation::ReadUncommitted).len(), 3);

    // With -T they are merged as they are (null values, headers); each decision leaves its
    // marker (a tombstone of the key naming the merged one), so that nobody merges it again.
    let group = unique("group");
    let run = Kmp::new()
        .group(&group)
        .merge_all(&dlq, &retry)
        .args(["-T"])
        .ok();
    run.assert_said("Successfully processed records: 3 merged, 0 purged, 0 skipped");
    assert_eq!(
        payloads(&kafka().read_all(&retry, Isolation::ReadCommitted)),
        copies_of(&source)
    );
    assert_eq!(kafka().read_all(&dlq, Isolation::ReadUncommitted).len(), 6);
    let again = Kmp::new()
        .group(&unique("group"))
        .merge_all(&dlq, &retry)
        .args(["-T"])
        .ok();
    again.assert_said("0 merged, 0 purged, 0 skipped");
    again.assert_said("3 record(s) already merged or purged");
    again.assert_said("3 tombstone(s) already in the source were passed over");
    assert_eq!(
        payloads(&kafka().read_all(&retry, Isolation::ReadCommitted)),
        copies_of(&source)
    );
}

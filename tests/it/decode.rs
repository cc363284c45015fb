//! Decoding for display, against the real broker and a schema registry served in-process by
//! httpmock (the Confluent endpoint `GET /schemas/ids/{id}?deleted=true`, basic auth checked):
//! - Avro written by fastavro (`tests/fixtures/make_avro.py`), decoded to the expected JSON;
//! - JSON Schema and Protobuf framed values (tests/it/formats.rs has every format in depth),
//!   plain JSON, text and binary;
//! - every failure (unknown id, corrupt or truncated Avro, bytes left over, unreachable
//!   registry, wrong credentials, a value not in the wire format under `-a`) shown raw with its
//!   reason while the run goes on;
//! - `print --output json` parsed back field by field;
//! - `ask` still takes decisions when the registry is down.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use httpmock::{Method::GET, Mock, MockServer};
use serde_json::{Value, json};

use crate::common::*;

const USER: &str = "kmp";
const PASSWORD: &str = "s3cret";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Magic byte 0 and `id`, then `payload`.
fn framed(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend(id.to_be_bytes());
    bytes.extend(payload);
    bytes
}

/// The mocks of one registry, to count the requests each id got.
struct Schemas<'a> {
    order: Mock<'a>,
    string: Mock<'a>,
    json: Mock<'a>,
    protobuf: Mock<'a>,
    missing: Mock<'a>,
    unauthorized: Mock<'a>,
}

/// Serves schemas 7 (the fastavro fixture's `com.acme.Order`), 8 (Avro `"string"`), 9 (a JSON
/// Schema) and 10 (Protobuf) to requests with the right basic auth; 404 for id 404; 401 for a
/// request without the right credentials.
fn serve(server: &MockServer) -> Schemas<'_> {
    let auth = format!("Basic {}", BASE64.encode(format!("{USER}:{PASSWORD}")));
    let schema = |id: u32, body: Value| {
        let auth = auth.clone();
        server.mock(move |when, then| {
            when.method(GET)
                .path(format!("/schemas/ids/{id}"))
                .query_param("deleted", "true")
                .header("authorization", auth);
            then.status(200)
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(body.to_string());
        })
    };
    let avsc =
        String::from_utf8(fixture("order.avsc")).unwrap_or_else(|e| panic!("order.avsc: {e}"));
    let unauthorized_auth = auth.clone();
    Schemas {
        unauthorized: server.mock(move |when, then| {
            when.header_not("authorization", unauthorized_auth);
            then.status(401)
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(r#"{"error_code":401,"message":"Unauthorized"}"#);
        }),
        order: schema(7, json!({ "schema": avsc })),
        string: schema(8, json!({ "schema": "\"string\"" })),
        json: schema(
            9,
            json!({"schemaType": "JSON", "schema": r#"{"type":"object"}"#}),
        ),
        protobuf: schema(
            10,
            json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nmessage Ping { string id = 1; }\n"}),
        ),
        missing: {
            let auth = auth.clone();
            server.mock(move |when, then| {
                when.method(GET)
                    .path("/schemas/ids/404")
                    .header("authorization", auth);
                then.status(404)
                    .header("content-type", "application/vnd.schemaregistry.v1+json")
                    .body(r#"{"error_code":40403,"message":"Schema 404 not found"}"#);
            })
        },
    }
}

/// `-o` options for a registry at `url` with `password`.
fn registry_options(url: &str, password: &str) -> Vec<String> {
    vec![
        "-o".into(),
        format!("schema.registry.url={url}"),
        "-o".into(),
        "basic.auth.credentials.source=USER_INFO".into(),
        "-o".into(),
        format!("basic.auth.user.info={USER}:{password}"),
    ]
}

/// One record per case, all in partition 0, in this order.
fn cases() -> Vec<TestRecord> {
    let order = fixture("order-value.bin");
    let at = 1_764_040_814_123;
    vec![
        // 0: fastavro's key and value.
        TestRecord::new(0, Some(&fixture("order-key.bin")), Some(&order))
            .header("trace", Some(b"abc"))
            .header("bin", Some(&[0xff, 0x00]))
            .header("none", None)
            .timestamp(at),
        // 1: an id the registry does not know.
        TestRecord::new(0, Some(b"k1"), Some(&framed(404, &[2]))).timestamp(at + 1),
        // 2: the order cut short.
        TestRecord::new(0, None, Some(&order[..order.len() - 10])).timestamp(at + 2),
        // 3: a string of negative length.
        TestRecord::new(0, Some(b"k3"), Some(&framed(8, &[0x01]))).timestamp(at + 3),
        // 4: the order with a byte too many.
        TestRecord::new(0, Some(b"k4"), Some(&[order.as_slice(), &[0]].concat())).timestamp(at + 4),
        // 5: JSON Schema.
        TestRecord::new(0, Some(b"k5"), Some(&framed(9, br#"{"ping":1}"#))).timestamp(at + 5),
        // 6: Protobuf (message index 0, then field 1 = "abc").
        TestRecord::new(
            0,
            Some(b"k6"),
            Some(&framed(10, &[0, 0x0a, 3, b'a', b'b', b'c'])),
        )
        .timestamp(at + 6),
        // 7: plain JSON, not framed.
        TestRecord::new(0, Some(b"k7"), Some(br#"{"plain":true}"#)).timestamp(at + 7),
        // 8: plain text.
        TestRecord::new(0, Some(b"k8"), Some(b"just text")).timestamp(at + 8),
        // 9: a tombstone.
        TestRecord::new(0, Some(b"gone"), None).timestamp(at + 9),
        // 10: framed with schema id 0, which no registry hands out: plain bytes.
        TestRecord::new(0, Some(b"k10"), Some(&[0, 0, 0, 0, 0, 1])).timestamp(at + 10),
    ]
}

fn topic_with_cases() -> String {
    let topic = unique("decode");
    kafka().create_topic(&topic, 1, false);
    kafka().produce(&topic, &cases());
    topic
}

fn print(topic: &str, options: &[String], extra: &[&str]) -> RunOutput {
    let bootstrap = kafka().bootstrap().to_owned();
    let mut args: Vec<&str> = vec!["-b", &bootstrap];
    args.extend(options.iter().map(String::as_str));
    args.extend(["print", topic]);
    args.extend(extra);
    let run = Kmp::bare().args(&args).run();
    run.assert_ok();
    run
}

fn json_lines(run: &RunOutput) -> Vec<Value> {
    run.stdout_text()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

/// The value fastavro wrote, as kafka-merge-purge shows it.
pub(crate) fn expected_order() -> Value {
    json!({
        "id": 17,
        "state": "CANCELED",
        "placed": "2025-11-25T03:20:14.123Z",
        "updated": "2025-11-25T03:20:14.123456Z",
        "local": "2025-11-25T04:20:14.005",
        "due": "2025-12-01",
        "cutoff": "17:30:00.250",
        "cutoff_us": "17:30:00.250001",
        "total": "-1234.50",
        "rate": "0.00125",
        "trace": "550e8400-e29b-41d4-a716-446655440000",
        "lines": [{"sku": "A-1", "qty": 3}, {"sku": "B-2", "qty": 1}],
        "attributes": {"campaign": "black-friday", "source": "web"},
        "note": "leave at the door",
        "coupon": null,
        "payment": {"com.acme.Card": {"last4": "4242"}},
        "checksum": "0xdeadbeef",
        "signature": "0x0001feff",
        "weight": 1.5,
        "express": true
    })
}

fn error_of(payload: &Value) -> &str {
    payload["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in {payload}"))
}

#[test]
fn print_json_decodes_with_the_registry_and_explains_failures() {
    let server = MockServer::start();
    let schemas = serve(&server);
    let topic = topic_with_cases();
    let run = print(
        &topic,
        &registry_options(&server.base_url(), PASSWORD),
        &["--output", "json"],
    );
    let lines = json_lines(&run);
    assert_eq!(lines.len(), 11, "{}", run.stdout_text());
    for (offset, line) in lines.iter().enumerate() {
        assert_eq!(line["topic"], topic.as_str());
        assert_eq!(line["partition"], 0);
        assert_eq!(line["offset"], offset);
        assert_eq!(line["timestamp_ms"], 1_764_040_814_123_i64 + offset as i64);
        assert_eq!(line["timestamp_type"], "create");
        assert!(line["headers"].is_array());
    }

    // 0: fastavro's record, field by field and in schema order.
    let first = &lines[0];
    assert_eq!(first["timestamp"], "2025-11-25T03:20:14.123Z");
    assert_eq!(
        first["key"],
        json!({"encoding": "json", "data": "order-17", "schema_id": 8, "schema_type": "avro", "schema_name": "string"})
    );
    assert_eq!(first["key_schema_id"], 8);
    assert_eq!(first["value_schema_id"], 7);
    let value = &first["value"];
    assert_eq!(value["encoding"], "json");
    assert_eq!(value["schema_id"], 7);
    assert_eq!(value["schema_type"], "avro");
    assert_eq!(value["schema_name"], "com.acme.Order");
    assert_eq!(value["error"], Value::Null);
    assert_eq!(value["data"], expected_order());
    let fields: Vec<&String> = value["data"].as_object().unwrap().keys().collect();
    let schema: Value = serde_json::from_slice(&fixture("order.avsc")).unwrap();
    let schema_fields: Vec<&str> = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, schema_fields);
    assert_eq!(
        first["headers"],
        json!([
            {"name": "trace", "value": {"encoding": "utf8", "data": "abc"}},
            {"name": "bin", "value": {"encoding": "base64", "data": "/wA="}},
            {"name": "none", "value": null},
        ])
    );

    // 1: unknown id: raw, with the registry's answer.
    let missing = &lines[1]["value"];
    assert_eq!(missing["encoding"], "base64");
    assert_eq!(missing["data"], BASE64.encode(framed(404, &[2])));
    assert_eq!(missing["schema_id"], 404);
    assert_eq!(lines[1]["value_schema_id"], 404);
    assert_eq!(
        error_of(missing),
        "cannot fetch schema 404: HTTP request to schema registry failed with status 404 Not Found (error 40403: Schema 404 not found)"
    );
    assert_eq!(lines[1]["key"], json!({"encoding": "utf8", "data": "k1"}));

    // 2: truncated, 3: corrupt, 4: left over: raw, with the reason; the key of 2 is null.
    assert_eq!(lines[2]["key"], Value::Null);
    assert_eq!(lines[2]["key_schema_id"], Value::Null);
    let order = fixture("order-value.bin");
    assert_eq!(
        lines[2]["value"]["data"],
        BASE64.encode(&order[..order.len() - 10])
    );
    assert!(
        error_of(&lines[2]["value"]).starts_with("schema 7 (com.acme.Order): corrupt Avro data: "),
        "{}",
        lines[2]
    );
    assert!(
        error_of(&lines[3]["value"]).starts_with("schema 8 (string): corrupt Avro data: "),
        "{}",
        lines[3]
    );
    assert_eq!(
        error_of(&lines[4]["value"]),
        "schema 7 (com.acme.Order): corrupt Avro data: 1 byte(s) left over after the datum"
    );

    // 5: JSON Schema, 6: Protobuf.
    assert_eq!(
        lines[5]["value"],
        json!({"encoding": "json", "data": {"ping": 1}, "schema_id": 9, "schema_type": "json"})
    );
    assert_eq!(
        lines[6]["value"],
        json!({
            "encoding": "json",
            "data": {"id": "abc"},
            "schema_id": 10,
            "schema_type": "protobuf",
            "schema_name": "Ping",
        })
    );

    // 7..10: not framed.
    assert_eq!(
        lines[7]["value"],
        json!({"encoding": "json", "data": {"plain": true}})
    );
    assert_eq!(
        lines[8]["value"],
        json!({"encoding": "utf8", "data": "just text"})
    );
    assert_eq!(lines[9]["value"], Value::Null);
    assert_eq!(lines[9]["value_schema_id"], Value::Null);
    assert_eq!(
        lines[10]["value"],
        json!({"encoding": "base64", "data": "AAAAAAAB"})
    );

    // One request per schema id, with credentials every time.
    assert_eq!(schemas.order.calls(), 1);
    assert_eq!(schemas.string.calls(), 1);
    assert_eq!(schemas.json.calls(), 1);
    assert_eq!(schemas.protobuf.calls(), 1);
    assert_eq!(schemas.missing.calls(), 1);
    assert_eq!(schemas.unauthorized.calls(), 0);
}

#[test]
fn print_text_shows_schemas_and_reasons() {
    let server = MockServer::start();
    let _schemas = serve(&server);
    let topic = topic_with_cases();
    let run = print(&topic, &registry_options(&server.base_url(), PASSWORD), &[]);
    let text = run.stdout_text().replace(&topic, "TOPIC");
    let blocks: Vec<&str> = text.split("Record at offset").skip(1).collect();
    assert_eq!(blocks.len(), 11, "{text}");
    assert!(!text.contains('\x1b'), "no colour into a pipe: {text:?}");
    insta::assert_snapshot!(blocks[0], @r#"
     #0 in topic 'TOPIC' (Partition #0):
        Timestamp: 2025-11-25T03:20:14.123Z (create time)
        Key (Avro schema 8, string): "order-17"
        Headers:
            trace: abc
            bin: 0xff00
            none: <null>
        Value (Avro schema 7, com.acme.Order):
            {
              "id": 17,
              "state": "CANCELED",
              "placed": "2025-11-25T03:20:14.123Z",
              "updated": "2025-11-25T03:20:14.123456Z",
              "local": "2025-11-25T04:20:14.005",
              "due": "2025-12-01",
              "cutoff": "17:30:00.250",
              "cutoff_us": "17:30:00.250001",
              "total": "-1234.50",
              "rate": "0.00125",
              "trace": "550e8400-e29b-41d4-a716-446655440000",
              "lines": [
                {
                  "sku": "A-1",
                  "qty": 3
                },
                {
                  "sku": "B-2",
                  "qty": 1
                }
              ],
              "attributes": {
                "campaign": "black-friday",
                "source": "web"
              },
              "note": "leave at the door",
              "coupon": null,
              "payment": {
                "com.acme.Card": {
                  "last4": "4242"
                }
              },
              "checksum": "0xdeadbeef",
              "signature": "0x0001feff",
              "weight": 1.5,
              "express": true
            }
    "#);
    insta::assert_snapshot!(blocks[1], @r"
     #1 in topic 'TOPIC' (Partition #0):
        Timestamp: 2025-11-25T03:20:14.124Z (create time)
        Key: k1
        Value (not decoded: cannot fetch schema 404: HTTP request to schema registry failed with status 404 Not Found (error 40403: Schema 404 not found)):
            00000000  00 00 00 01 94 02                                 |......|
    ");
    assert!(
        blocks[2]
            .contains("    Value (not decoded: schema 7 (com.acme.Order): corrupt Avro data: "),
        "{}",
        blocks[2]
    );
    insta::assert_snapshot!(blocks[6], @r#"
     #6 in topic 'TOPIC' (Partition #0):
        Timestamp: 2025-11-25T03:20:14.129Z (create time)
        Key: k6
        Value (Protobuf schema 10, Ping):
            {
              "id": "abc"
            }
    "#);
    insta::assert_snapshot!(blocks[5], @r#"
     #5 in topic 'TOPIC' (Partition #0):
        Timestamp: 2025-11-25T03:20:14.128Z (create time)
        Key: k5
        Value (JSON schema 9):
            {
              "ping": 1
            }
    "#);
}

#[test]
fn forced_avro_shows_unframed_values_as_errors() {
    let server = MockServer::start();
    let schemas = serve(&server);
    let topic = unique("decode-forced");
    kafka().create_topic(&topic, 1, false);
    kafka().produce(
        &topic,
        &[
            TestRecord::new(0, Some(b"plain-key"), Some(b"just text")),
            TestRecord::new(0, Some(b"k"), Some(&fixture("order-value.bin"))),
            TestRecord::new(0, Some(b"k"), Some(&[0, 7])),
        ],
    );
    let run = print(
        &topic,
        &registry_options(&server.base_url(), PASSWORD),
        &["-a", "--output", "json"],
    );
    let lines = json_lines(&run);
    assert_eq!(lines.len(), 3, "{}", run.stdout_text());
    assert_eq!(
        lines[0]["value"],
        json!({
            "encoding": "utf8",
            "data": "just text",
            "error": "not in the schema registry wire format: first byte is 0x6a, not 0x00",
        })
    );
    // Keys are not forced by -a.
    assert_eq!(
        lines[0]["key"],
        json!({"encoding": "utf8", "data": "plain-key"})
    );
    assert_eq!(lines[1]["value"]["data"], expected_order());
    assert_eq!(
        error_of(&lines[2]["value"]),
        "not in the schema registry wire format: 2 byte(s), the frame alone takes 5"
    );
    assert_eq!(schemas.order.calls(), 1);
}

#[test]
fn registry_down_or_refusing_leaves_records_raw_with_the_reason() {
    let server = MockServer::start();
    let schemas = serve(&server);
    let topic = topic_with_cases();

    // Wrong password: 401 for every id, shown once per record.
    let run = print(
        &topic,
        &registry_options(&server.base_url(), "wrong"),
        &["--output", "json"],
    );
    let lines = json_lines(&run);
    assert_eq!(lines.len(), 11);
    assert_eq!(
        error_of(&lines[0]["value"]),
        "cannot fetch schema 7: HTTP request to schema registry failed with status 401 Unauthorized (error 401: Unauthorized)"
    );
    assert_eq!(lines[0]["value"]["encoding"], "base64");
    assert_eq!(
        lines[0]["value"]["data"],
        BASE64.encode(fixture("order-value.bin"))
    );
    assert!(error_of(&lines[0]["key"]).contains("status 401 Unauthorized"));
    assert_eq!(schemas.order.calls(), 0);
    // Schemas 7, 8, 404, 9 and 10, each asked once.
    assert_eq!(schemas.unauthorized.calls(), 5);

    // Nothing listens on port 9 of the loopback.
    let run = print(
        &topic,
        &registry_options("http://127.0.0.1:9", PASSWORD),
        &[],
    );
    let text = run.stdout_text();
    assert_eq!(text.matches("Record at offset").count(), 11, "{text}");
    assert!(
        text.contains(
            "    Value (not decoded: cannot fetch schema 7: http call to schema registry failed: "
        ),
        "{text}"
    );
    assert_contains(&text, "Connection refused");
    // Plain payloads are still shown.
    assert_contains(&text, "        just text\n");
}

#[test]
fn ask_decides_while_the_registry_is_down() {
    let bootstrap = kafka().bootstrap().to_owned();
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    let order = fixture("order-value.bin");
    kafka().produce(
        &dlq,
        &[
            TestRecord::new(0, Some(b"order-17"), Some(&order)),
            TestRecord::new(0, Some(b"order-18"), Some(&order)),
        ],
    );
    let group = unique("group");
    let mut args: Vec<String> = vec!["-b".into(), bootstrap, "-g".into(), group];
    args.extend(registry_options("http://127.0.0.1:9", PASSWORD));
    args.extend(["-a".into(), "ask".into(), dlq.clone(), retry.clone()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = Kmp::bare().args(&args).stdin(b"p\nm\n").run();
    run.assert_ok();
    let said = run.stderr_text();
    assert_eq!(
        said.matches("Value (not decoded: cannot fetch schema 7")
            .count(),
        2,
        "{said}"
    );
    assert_contains(
        &said,
        "Successfully processed records: 1 merged, 1 purged, 0 skipped",
    );
    let merged = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].value.as_deref(), Some(order.as_slice()));
    let tombstones: Vec<_> = kafka()
        .read_all(&dlq, Isolation::ReadCommitted)
        .into_iter()
        .filter(|record| record.value.is_none())
        .map(|record| record.key.unwrap())
        .collect();
    assert_eq!(tombstones, [b"order-17".to_vec(), b"order-18".to_vec()]);
}

//! Every format a Confluent-compatible registry serves, against the real broker: Protobuf
//! (nested messages by their message-index path, `oneof`, `map`, `repeated`, enums, `int64`
//! above 2^53, a well-known `Timestamp`, an import from a schema reference), JSON Schema, Avro
//! referencing another subject, and a schema named by GUID in the `__value_schema_id` header.
//! The records are written by independent encoders (`tests/fixtures/make_formats.py`: Google's
//! Python `protobuf`, `json`, fastavro); the registry is an httpmock stub answering as
//! Confluent's REST API does (`schemaType`, `references`, `/subjects/.../versions/...`,
//! `/schemas/guids/...`, error bodies with `error_code`). Every bad case is shown raw with its
//! reason while the run goes on; `--grep` and `ask` see the decoded values too.

use std::path::Path;
use std::time::Duration;

use httpmock::{Method::GET, Mock, MockServer};
use serde_json::{Value, json};

use crate::common::*;

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn framed(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0];
    bytes.extend(id.to_be_bytes());
    bytes.extend(payload);
    bytes
}

const GUID: &str = "5b0c7e4e-2a51-4c6f-9d3e-7f1a2b3c4d5e";

/// The mocks whose calls are counted.
struct Registry<'a> {
    order: Mock<'a>,
    money: Mock<'a>,
    guid: Mock<'a>,
    amount: Mock<'a>,
}

/// Serves schema 30 (order.proto, importing billing/money.proto from subject `money` version 1),
/// its GUID, 31 (a JSON Schema), 32 (Avro referencing subject `amount` version 1), 33 (a
/// `.proto` that does not parse), 34 (answered after 10 s, past the run's timeout) and 404s for
/// the rest, as Confluent's registry words them.
fn serve(server: &MockServer) -> Registry<'_> {
    let ok = |path: String, body: Value| {
        server.mock(move |when, then| {
            when.method(GET).path(path);
            then.status(200)
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(body.to_string());
        })
    };
    let order_refs = json!([{"name": "billing/money.proto", "subject": "money", "version": 1}]);
    let registry = Registry {
        order: ok(
            "/schemas/ids/30".into(),
            json!({"schemaType": "PROTOBUF", "schema": fixture_text("order.proto"), "references": order_refs}),
        ),
        guid: ok(
            format!("/schemas/guids/{GUID}"),
            json!({"schemaType": "PROTOBUF", "schema": fixture_text("order.proto"),
                   "references": order_refs, "guid": GUID}),
        ),
        money: ok(
            "/subjects/money/versions/1".into(),
            json!({"subject": "money", "version": 1, "id": 29, "schemaType": "PROTOBUF",
                   "schema": fixture_text("money.proto")}),
        ),
        amount: ok(
            "/subjects/amount/versions/1".into(),
            json!({"subject": "amount", "version": 1, "id": 28,
                   "schema": fixture_text("amount.avsc")}),
        ),
    };
    ok(
        "/schemas/ids/31".into(),
        json!({"schemaType": "JSON", "schema": r#"{"$id": "https://acme.com/refund.json", "title": "Refund", "type": "object"}"#}),
    );
    ok(
        "/schemas/ids/32".into(),
        json!({"schema": fixture_text("invoice.avsc"),
               "references": [{"name": "com.acme.billing.Amount", "subject": "amount", "version": 1}]}),
    );
    ok(
        "/schemas/ids/33".into(),
        json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nmessage Broken {\n  string id = ;\n}\n"}),
    );
    server.mock(|when, then| {
        when.method(GET).path("/schemas/ids/34");
        then.status(200)
            .delay(Duration::from_secs(10))
            .body(r#"{"schema":"\"string\""}"#);
    });
    server.mock(|when, then| {
        when.method(GET).path_matches(r"^/schemas/ids/\d+$");
        then.status(404)
            .header("content-type", "application/vnd.schemaregistry.v1+json")
            .body(r#"{"error_code":40403,"message":"Schema not found"}"#);
    });
    registry
}

/// The records, all in partition 0, in this order.
fn records() -> Vec<TestRecord> {
    let order = fixture("proto-order.bin");
    vec![
        // 0: an Order, message [0].
        TestRecord::new(0, Some(b"o-17"), Some(&order)),
        // 1: a Shipment.Parcel, message [1, 0].
        TestRecord::new(0, Some(b"parcel"), Some(&fixture("proto-parcel.bin"))),
        // 2: an Order not framed, its schema by GUID in the header; the key's schema by id
        // (JSON Schema 31) in the key's header, in its 5-byte form.
        TestRecord::new(
            0,
            Some(br#"{"order":"o-18"}"#),
            Some(&fixture("proto-order-unframed.bin")),
        )
        .header("__key_schema_id", Some(&[0, 0, 0, 0, 31]))
        .header(
            "__value_schema_id",
            Some(&fixture("proto-order-header.bin")),
        ),
        // 3: JSON Schema.
        TestRecord::new(0, Some(b"refund"), Some(&fixture("json-event.bin"))),
        // 4: Avro with a named type from another subject.
        TestRecord::new(0, Some(b"invoice"), Some(&fixture("avro-invoice.bin"))),
        // 5: an id the registry does not know.
        TestRecord::new(0, Some(b"unknown"), Some(&framed(99, &[0, 0x0a, 0x00]))),
        // 6: the message-index array cut short.
        TestRecord::new(0, Some(b"truncated-index"), Some(&framed(30, &[4, 2]))),
        // 7: a message index the schema does not have.
        TestRecord::new(
            0,
            Some(b"index-out-of-range"),
            Some(&framed(30, &[2, 6, 0x0a, 0x00])),
        ),
        // 8: the Order's Protobuf bytes cut short.
        TestRecord::new(0, Some(b"cut"), Some(&order[..order.len() - 3])),
        // 9: a .proto that does not parse.
        TestRecord::new(0, Some(b"broken-schema"), Some(&framed(33, &[0]))),
        // 10: a registry that does not answer in time.
        TestRecord::new(0, Some(b"slow"), Some(&framed(34, b"x"))),
    ]
}

fn registry_options(url: &str) -> Vec<String> {
    vec!["-o".into(), format!("schema.registry.url={url}")]
}

fn topic_with_records() -> String {
    let topic = unique("formats");
    kafka().create_topic(&topic, 1, false);
    kafka().produce(&topic, &records());
    topic
}

fn print(url: &str, topic: &str, extra: &[&str]) -> RunOutput {
    let bootstrap = kafka().bootstrap().to_owned();
    let mut args: Vec<String> = vec!["-b".into(), bootstrap, "--timeout".into(), "3".into()];
    args.extend(registry_options(url));
    args.extend(["print".into(), topic.into()]);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let run = Kmp::bare().args(&args).run();
    run.assert_ok();
    run
}

pub(crate) fn expected_order() -> Value {
    json!({
        "id": "o-17",
        "customer": 9_007_199_254_740_993_u64,
        "state": "CANCELED",
        "lines": [{"sku": "A-1", "qty": 3}, {"sku": "B-2", "qty": 1}],
        "attributes": {"campaign": "black-friday", "source": "web"},
        "card_last4": "4242",
        "placed": "2025-11-25T03:20:14.123Z",
        "total": {"currency": "EUR", "units": 1234, "nanos": 500_000_000},
        "checksum": "0xdeadbeef",
        "adjustments": [-5, 7],
        "weight": 1.5,
        "express": true
    })
}

#[test]
fn print_json_decodes_every_registry_format_and_explains_failures() {
    let server = MockServer::start();
    let registry = serve(&server);
    let topic = topic_with_records();
    let run = print(&server.base_url(), &topic, &["--output", "json"]);
    let text = run.stdout_text();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert_eq!(lines.len(), 11, "{text}");
    // 2^53 + 1 is written exactly (a JSON parser that reads numbers as doubles would not
    // tell it from 2^53, so look at the text too).
    assert_contains(&text, r#""customer":9007199254740993,"#);

    assert_eq!(
        lines[0]["value"],
        json!({"encoding": "json", "data": expected_order(), "schema_id": 30,
               "schema_type": "protobuf", "schema_name": "com.acme.orders.Order"})
    );
    // Fields in the order the .proto declares them.
    let fields: Vec<&String> = lines[0]["value"]["data"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "customer",
            "state",
            "lines",
            "attributes",
            "card_last4",
            "placed",
            "total",
            "checksum",
            "adjustments",
            "weight",
            "express"
        ]
    );
    assert_eq!(
        lines[1]["value"],
        json!({"encoding": "json",
               "data": {"tracking": "T-1", "state": "PAID", "grams": 18_446_744_073_709_551_615_u64},
               "schema_id": 30, "schema_type": "protobuf",
               "schema_name": "com.acme.orders.Shipment.Parcel"})
    );
    // The header form: the value by GUID, the key by id; both decoded, defaults shown.
    assert_eq!(
        lines[2]["value"],
        json!({"encoding": "json",
               "data": {"id": "o-18", "customer": 0, "state": "PLACED", "lines": [],
                        "attributes": {}, "voucher": "WINTER", "checksum": "0x",
                        "adjustments": [], "weight": 0.0, "express": false},
               "schema_guid": GUID, "schema_header": "__value_schema_id",
               "schema_type": "protobuf", "schema_name": "com.acme.orders.Order"})
    );
    assert_eq!(lines[2]["value_schema_id"], Value::Null);
    assert_eq!(
        lines[2]["key"],
        json!({"encoding": "json", "data": {"order": "o-18"}, "schema_id": 31,
               "schema_header": "__key_schema_id", "schema_type": "json", "schema_name": "Refund"})
    );
    assert_eq!(lines[2]["key_schema_id"], 31);
    assert_eq!(
        lines[3]["value"],
        json!({"encoding": "json", "data": {"event": "refund", "amount": 12.5, "lines": [1, 2]},
               "schema_id": 31, "schema_type": "json", "schema_name": "Refund"})
    );
    assert_eq!(
        lines[4]["value"],
        json!({"encoding": "json",
               "data": {"number": "INV-9", "total": {"cents": 123_450, "currency": "EUR"}},
               "schema_id": 32, "schema_type": "avro", "schema_name": "com.acme.billing.Invoice"})
    );

    let raw = |line: &Value, bytes: &[u8], reason: &str| {
        let value = &line["value"];
        let error = value["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error in {line}"));
        assert!(error.starts_with(reason), "{error}\nwanted: {reason}");
        assert_eq!(value["encoding"], "base64", "{line}");
        use base64::Engine as _;
        assert_eq!(
            value["data"],
            base64::engine::general_purpose::STANDARD.encode(bytes)
        );
    };
    let all = records();
    let bytes = |i: usize| all[i].value.clone().unwrap();
    raw(
        &lines[5],
        &bytes(5),
        "cannot fetch schema 99: HTTP request to schema registry failed with status 404 Not Found (error 40403: Schema not found)",
    );
    raw(
        &lines[6],
        &bytes(6),
        "schema 30 (Protobuf): the message-index array is truncated",
    );
    raw(
        &lines[7],
        &bytes(7),
        "schema 30 (Protobuf): message index [3] is not in the schema (2 top-level message(s))",
    );
    raw(
        &lines[8],
        &bytes(8),
        "schema 30 (com.acme.orders.Order): invalid Protobuf bytes: ",
    );
    raw(
        &lines[9],
        &bytes(9),
        "schema 33 is not a usable Protobuf schema: ",
    );
    raw(&lines[10], &bytes(10), "cannot fetch schema 34: ");
    for line in &lines[5..] {
        assert!(!line["value"]["error"].as_str().unwrap().contains('\n'));
    }

    // Each schema and each referenced version asked for once.
    assert_eq!(registry.order.calls(), 1);
    assert_eq!(registry.guid.calls(), 1);
    assert_eq!(
        registry.money.calls(),
        1,
        "a referenced version is fetched once, for the id and the GUID alike"
    );
    assert_eq!(registry.amount.calls(), 1);
}

#[test]
fn text_grep_and_ask_see_decoded_values() {
    let server = MockServer::start();
    let _registry = serve(&server);
    let topic = topic_with_records();
    let run = print(&server.base_url(), &topic, &["--limit", "2"]);
    let text: String = run
        .stdout_text()
        .replace(&topic, "TOPIC")
        .lines()
        .map(|line| match line.split_once("Timestamp: ") {
            Some((indent, _)) => format!("{indent}Timestamp: TIMESTAMP\n"),
            None => format!("{line}\n"),
        })
        .collect();
    let blocks: Vec<&str> = text.split("Record at offset").skip(1).collect();
    assert_eq!(blocks.len(), 2, "{text}");
    insta::assert_snapshot!(blocks[1], @r#"
     #1 in topic 'TOPIC' (Partition #0):
        Timestamp: TIMESTAMP
        Key: parcel
        Value (Protobuf schema 30, com.acme.orders.Shipment.Parcel):
            {
              "tracking": "T-1",
              "state": "PAID",
              "grams": 18446744073709551615
            }
    "#);

    // --grep matches the values as shown: a SKU inside the Order, a voucher in the one whose
    // schema a header names.
    let run = print(
        &server.base_url(),
        &topic,
        &["--grep", "\"B-2\"", "--output", "json"],
    );
    let offsets: Vec<i64> = run
        .stdout_text()
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["offset"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(offsets, [0]);
    let run = print(
        &server.base_url(),
        &topic,
        &["--grep", "WINTER", "--output", "json"],
    );
    assert_eq!(
        run.stdout_text().lines().count(),
        1,
        "the header-named Order"
    );

    // ask: the prompt shows the decoded Order; what is written is the original bytes.
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    let order = fixture("proto-order.bin");
    kafka().produce(
        &dlq,
        &[TestRecord::new(0, Some(b"o-17"), Some(&order)).header("trace", Some(b"t1"))],
    );
    let bootstrap = kafka().bootstrap().to_owned();
    let mut args: Vec<String> = vec!["-b".into(), bootstrap, "-g".into(), unique("group")];
    args.extend(registry_options(&server.base_url()));
    args.extend(["ask".into(), dlq.clone(), retry.clone()]);
    let run = Kmp::bare().args(&args).stdin(b"m\n").run();
    run.assert_ok();
    let said = run.stderr_text();
    assert_contains(&said, "Value (Protobuf schema 30, com.acme.orders.Order):");
    assert_contains(&said, "\"customer\": 9007199254740993,");
    assert_contains(&said, "\"placed\": \"2025-11-25T03:20:14.123Z\",");
    let merged = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0].value.as_deref(), Some(order.as_slice()));
    assert_eq!(merged[0].key.as_deref(), Some(b"o-17".as_slice()));
}

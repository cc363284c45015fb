//! Decoding through a real schema registry: Apicurio Registry (`common::registry`), spoken to
//! through its Confluent-compatible API as users point the tool at it. Every schema is
//! registered over HTTP (Avro, Avro referencing another subject, Protobuf importing a
//! referenced subject, JSON Schema; keys and values), under the ids the registry chooses; the
//! payloads are the independent encoders' (fastavro, Google's Python `protobuf`:
//! `tests/fixtures/make_*.py`), framed with those ids in the payload (4 bytes, or Apicurio 2's
//! 8) or named by them in Apicurio's headers. The stub of `formats.rs` and
//! `decode.rs` stays for what a real registry cannot do on demand (wrong answers, time-outs,
//! authentication errors).

use serde_json::{Value, json};

use crate::common::registry::{Schema, apicurio};
use crate::common::*;
use crate::formats::{fixture, fixture_text, framed};

/// A record's key and value bytes.
type KeyAndValue = (Option<Vec<u8>>, Option<Vec<u8>>);

/// `message` after the length-delimited `Ref { string name = 1; }` naming its type, as
/// Apicurio's Protobuf serializer writes it in its header form.
fn apicurio_ref(name: &str, message: &[u8]) -> Vec<u8> {
    let name_len = u8::try_from(name.len()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let inner = [&[0x0a, name_len][..], name.as_bytes()].concat();
    let inner_len = u8::try_from(inner.len()).unwrap_or_else(|e| panic!("{name}: {e}"));
    [&[inner_len][..], &inner, message].concat()
}

/// `payload` (a fixture framed in Confluent's wire format) framed with `id` instead.
pub(crate) fn reframed(payload: &[u8], id: u32) -> Vec<u8> {
    assert_eq!(payload.first(), Some(&0), "not in the wire format");
    framed(id, &payload[5..])
}

/// The ids the registry gave the test's schemas.
struct Ids {
    key: u32,
    order_avro: u32,
    order_proto: u32,
    refund: u32,
    invoice: u32,
}

/// Registers every schema of the test under subjects of its own.
fn register() -> Ids {
    let registry = apicurio();
    let subject = |name: &str| unique(name);
    let money = subject("money");
    let amount = subject("amount");
    registry.register(&money, &Schema::protobuf(&fixture_text("money.proto")));
    registry.register(&amount, &Schema::avro(&fixture_text("amount.avsc")));
    Ids {
        key: registry.register(
            &subject("orders-key"),
            &Schema::avro("\"string\""),
        ),
        order_avro: registry.register(
            &subject("orders-value"),
            &Schema::avro(&fixture_text("order.avsc")),
        ),
        order_proto: registry.register(
            &subject("proto-orders-value"),
            &Schema::protobuf(&fixture_text("order.proto")).referencing(&[("billing/money.proto", &money, 1)]),
        ),
        refund: registry.register(
            &subject("refunds-value"),
            &Schema::json(r#"{"$schema": "http://json-schema.org/draft-07/schema#", "$id": "https://acme.com/refund.json", "title": "Refund", "type": "object"}"#),
        ),
        invoice: registry.register(
            &subject("invoices-value"),
            &Schema::avro(&fixture_text("invoice.avsc")).referencing(&[("com.acme.billing.Amount", &amount, 1)]),
        ),
    }
}

#[test]
fn every_format_decodes_through_apicurio_and_merges_byte_exact() {
    let ids = register();
    let records = vec![
        TestRecord::new(
            0,
            Some(&reframed(&fixture("order-key.bin"), ids.key)),
            Some(&reframed(&fixture("order-value.bin"), ids.order_avro)),
        ),
        TestRecord::new(
            0,
            Some(b"o-17"),
            Some(&reframed(&fixture("proto-order.bin"), ids.order_proto)),
        ),
        TestRecord::new(
            0,
            Some(b"parcel"),
            Some(&reframed(&fixture("proto-parcel.bin"), ids.order_proto)),
        ),
        TestRecord::new(
            0,
            Some(b"refund"),
            Some(&reframed(&fixture("json-event.bin"), ids.refund)),
        ),
        TestRecord::new(
            0,
            Some(b"invoice"),
            Some(&reframed(&fixture("avro-invoice.bin"), ids.invoice)),
        ),
        // Apicurio's header form, as its serializers write it: the payload unframed, the id
        // in an 8-byte header, a Protobuf message named in another.
        TestRecord::new(
            0,
            Some(b"header-avro"),
            Some(&fixture("order-value.bin")[5..]),
        )
        .header(
            "apicurio.value.contentId",
            Some(&u64::from(ids.order_avro).to_be_bytes()),
        ),
        TestRecord::new(
            0,
            Some(b"header-proto"),
            Some(&apicurio_ref("Order", &fixture("proto-order-unframed.bin"))),
        )
        .header(
            "apicurio.value.contentId",
            Some(&u64::from(ids.order_proto).to_be_bytes()),
        )
        .header(
            "apicurio.value.msgType",
            Some(b"com.acme.orders.OrderOuterClass$Order"),
        ),
    ];
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &records);
    let registry = [
        "-o".to_owned(),
        format!("schema.registry.url={}", apicurio().url()),
    ];

    let run = Kmp::bare()
        .args(["-b", kafka().bootstrap(), "--timeout", "10"])
        .args(&registry)
        .args(["print", &dlq, "--output", "json"])
        .run();
    run.assert_ok();
    let text = run.stdout_text();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert_eq!(lines.len(), records.len(), "{text}");
    assert_eq!(
        lines[0]["key"],
        json!({"encoding": "json", "data": "order-17", "schema_id": ids.key,
               "schema_type": "avro", "schema_name": "string"})
    );
    assert_eq!(lines[0]["value"]["data"], crate::decode::expected_order());
    assert_eq!(lines[0]["value"]["schema_id"], ids.order_avro);
    assert_eq!(lines[0]["value"]["schema_name"], "com.acme.Order");
    assert_eq!(
        lines[1]["value"],
        json!({"encoding": "json", "data": crate::formats::expected_order(),
               "schema_id": ids.order_proto, "schema_type": "protobuf",
               "schema_name": "com.acme.orders.Order"})
    );
    assert_contains(&text, r#""customer":9007199254740993,"#);
    assert_eq!(
        lines[2]["value"],
        json!({"encoding": "json",
               "data": {"tracking": "T-1", "state": "PAID", "grams": 18_446_744_073_709_551_615_u64},
               "schema_id": ids.order_proto, "schema_type": "protobuf",
               "schema_name": "com.acme.orders.Shipment.Parcel"})
    );
    assert_eq!(
        lines[3]["value"],
        json!({"encoding": "json", "data": {"event": "refund", "amount": 12.5, "lines": [1, 2]},
               "schema_id": ids.refund, "schema_type": "json", "schema_name": "Refund"})
    );
    assert_eq!(
        lines[4]["value"],
        json!({"encoding": "json",
               "data": {"number": "INV-9", "total": {"cents": 123_450, "currency": "EUR"}},
               "schema_id": ids.invoice, "schema_type": "avro",
               "schema_name": "com.acme.billing.Invoice"})
    );

    assert_eq!(lines[5]["value"]["data"], crate::decode::expected_order());
    assert_eq!(lines[5]["value"]["schema_id"], ids.order_avro);
    assert_eq!(
        lines[5]["value"]["schema_header"],
        "apicurio.value.contentId"
    );
    assert_eq!(
        lines[6]["value"],
        json!({"encoding": "json",
               "data": {"id": "o-18", "customer": 0, "state": "PLACED", "lines": [],
                        "attributes": {}, "voucher": "WINTER", "checksum": "0x",
                        "adjustments": [], "weight": 0.0, "express": false},
               "schema_id": ids.order_proto, "schema_header": "apicurio.value.contentId",
               "schema_type": "protobuf", "schema_name": "com.acme.orders.Order"})
    );

    // Apicurio 2's 8-byte ids in the payload, told by the serializer's own setting.
    let eight = unique("apicurio-8");
    kafka().create_topic(&eight, 1, false);
    let order = fixture("order-value.bin");
    let framed8 = [
        &[0][..],
        &u64::from(ids.order_avro).to_be_bytes(),
        &order[5..],
    ]
    .concat();
    kafka().produce(
        &eight,
        &[TestRecord::new(0, Some(b"eight"), Some(&framed8))],
    );
    let run = Kmp::bare()
        .args(["-b", kafka().bootstrap(), "--timeout", "10"])
        .args(&registry)
        .args([
            "-o",
            "apicurio.registry.id-handler=io.apicurio.registry.serde.Legacy8ByteIdHandler",
        ])
        .args(["print", &eight, "--output", "json"])
        .run();
    run.assert_ok();
    let line: Value = serde_json::from_str(run.stdout_text().trim())
        .unwrap_or_else(|e| panic!("{}: {e}", run.stdout_text()));
    assert_eq!(line["value"]["data"], crate::decode::expected_order());
    assert_eq!(line["value"]["schema_id"], ids.order_avro);

    // What is written is the original bytes, decoding or not: read back by the Java client.
    let group = unique("registry-group");
    let run = Kmp::bare()
        .args(["-b", kafka().bootstrap(), "-g", &group])
        .args(&registry)
        .args(["merge-all", &dlq, &retry])
        .run();
    run.assert_ok();
    let merged = kafka().read_all(&retry, Isolation::ReadCommitted);
    let written: Vec<KeyAndValue> = merged
        .into_iter()
        .map(|record| (record.key, record.value))
        .collect();
    let sent: Vec<KeyAndValue> = records
        .iter()
        .map(|record| (record.key.clone(), record.value.clone()))
        .collect();
    assert_eq!(written, sent);
}

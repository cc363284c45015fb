//! Repair before resend against the real broker and a real registry (Apicurio): a class of
//! records transformed in bulk (`--transform`), each copy written back with the record's own
//! schema and framing, checked by independent decoders (fastavro for Avro, JSON for JSON
//! Schema) and Kafka's Java consumer; a record the schema refuses after the transform is left
//! alone, and a dry run shows the diffs and writes nothing.

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use kafka_merge_purge::repair::Repair;
use serde_json::{Value, json};

use crate::common::registry::{Registry, Schema, apicurio};
use crate::common::*;
use crate::formats::{fixture, fixture_text, framed};
use crate::registry::reframed;

const CLASS: &str = "kafka_dlt-exception-cause-fqcn";
const CONVERSION: &[u8] = b"org.springframework.messaging.converter.MessageConversionException";

/// The tool against the test broker and the real registry.
fn with_registry(registry: &Registry) -> Kmp {
    Kmp::new().args(["-o", &format!("schema.registry.url={}", registry.url())])
}

/// `payloads` decoded by fastavro with the schema in `tests/fixtures/{schema}` (and the named
/// schemas it refers to): `{"schema_id", "datum"}` each.
fn fastavro(schema: &str, references: &[&str], payloads: &[&[u8]]) -> Vec<Value> {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut args = vec![fixtures.join(schema)];
    args.extend(references.iter().map(|r| fixtures.join(r)));
    independent("avro_decode.py", &args, payloads)
}

/// `payloads` (Orders of `tests/fixtures/order.proto`) decoded by Google's Python `protobuf`:
/// `{"schema_id", "message"}` each.
fn protobuf(payloads: &[&[u8]]) -> Vec<Value> {
    independent("proto_decode.py", &[], payloads)
}

/// `payloads` decoded by `tests/support/{script}`, one JSON line each.
fn independent(script: &str, args: &[std::path::PathBuf], payloads: &[&[u8]]) -> Vec<Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("python3")
        .arg(dir.join("tests/support").join(script))
        .args(args)
        .env("PYTHONPATH", dir.join("target/pydeps"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 (scripts/install.sh installs its packages): {e}"));
    let mut input = String::new();
    for payload in payloads {
        input.push_str(&BASE64.encode(payload));
        input.push('\n');
    }
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("{script}'s stdin: {e}"));
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    assert!(out.status.success(), "{script} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect()
}

#[test]
fn a_class_of_avro_records_is_transformed_written_back_with_its_schema_and_checked() {
    let registry = apicurio();
    let amount = unique("amount");
    registry.register(&amount, &Schema::avro(&fixture_text("amount.avsc")));
    let order = registry.register(
        &unique("orders-value"),
        &Schema::avro(&fixture_text("order.avsc")),
    );
    let invoice = registry.register(
        &unique("invoices-value"),
        &Schema::avro(&fixture_text("invoice.avsc")).referencing(&[(
            "com.acme.billing.Amount",
            &amount,
            1,
        )]),
    );
    let order_bytes = reframed(&fixture("order-value.bin"), order);
    let invoice_bytes = reframed(&fixture("avro-invoice.bin"), invoice);
    let records = vec![
        TestRecord::new(0, Some(b"o-1"), Some(&order_bytes)).header(CLASS, Some(CONVERSION)),
        // The class, but a schema without the field the transform sets: refused, left alone.
        TestRecord::new(0, Some(b"i-1"), Some(&invoice_bytes)).header(CLASS, Some(CONVERSION)),
        // Another class: left out by the filter.
        TestRecord::new(0, Some(b"o-2"), Some(&order_bytes))
            .header(CLASS, Some(b"java.lang.IllegalStateException")),
        TestRecord::new(0, Some(b"o-3"), Some(&order_bytes))
            .header(CLASS, Some(CONVERSION))
            .timestamp(1_700_000_000_000),
    ];
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &records);
    let group = unique("repair");
    let transform = r#".note = "fixed: " + .note | .state = "PAID""#;
    let run = |extra: &[&str]| {
        with_registry(registry)
            .group(&group)
            .args([
                "-t",
                "--header",
                "kafka_dlt-exception-cause-fqcn=.*ConversionException",
            ])
            .args(extra)
            .args(["merge-all", &dlq, &retry, "--transform", transform])
            .run()
    };

    // A dry run: the diffs of what would be written, the reason of what would not; nothing written.
    let dry = run(&["--dry-run"]);
    dry.assert_ok();
    let shown = dry.stdout_text();
    assert_contains(
        &shown,
        &format!(
            "{dlq}/0 offset 0: repaired by {}",
            Repair::by_expression(transform)
        ),
    );
    assert_contains(&shown, r#"  .state: "CANCELED" → "PAID""#);
    assert_contains(
        &shown,
        r#"  .note: "leave at the door" → "fixed: leave at the door""#,
    );
    assert_contains(&shown, "has no field \"note\"");
    kafka().assert_empty(&retry);

    run(&[]).assert_ok();
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(copies.len(), 2, "the two orders of the class, once each");
    let decoded = fastavro(
        "order.avsc",
        &[],
        &copies
            .iter()
            .map(|c| c.value.as_deref().unwrap())
            .collect::<Vec<_>>(),
    );
    let original = fastavro("order.avsc", &[], &[&order_bytes]).remove(0);
    for (copy, decoded) in copies.iter().zip(&decoded) {
        assert_eq!(
            decoded["schema_id"],
            json!(order),
            "the record's own schema id"
        );
        let mut expected = original["datum"].clone();
        expected["note"] = json!("fixed: leave at the door");
        expected["state"] = json!("PAID");
        assert_eq!(
            decoded["datum"], expected,
            "only what the transform changed"
        );
        assert_eq!(
            copy.header(CLASS),
            Some(CONVERSION),
            "the original's headers"
        );
        assert_eq!(
            copy.header_text("kmp-repaired"),
            Some(Repair::by_expression(transform).as_str())
        );
        assert_eq!(
            copy.header_text("kmp-repaired-from"),
            Some(Repair::digest_of(Some(&order_bytes)).as_str())
        );
    }
    assert_eq!(copies[0].key.as_deref(), Some(&b"o-1"[..]));
    assert_eq!(copies[1].key.as_deref(), Some(&b"o-3"[..]));
    assert_eq!(
        copies[1].timestamp, 1_700_000_000_000,
        "the original timestamp"
    );
    // The DLQ records the two decisions (markers after them); the refused one stays, and the
    // group's offset stops before it.
    let dlq_after = kafka().read_all(&dlq, Isolation::ReadCommitted);
    let marked: Vec<&str> = dlq_after
        .iter()
        .filter(|r| r.value.is_none())
        .filter_map(|r| r.header_text("kmp-decided-offset"))
        .collect();
    assert_eq!(marked, ["0", "3"]);
    assert_eq!(kafka().group_offsets(&group, &dlq).get(&0), Some(&1));

    // Run again: nothing more is written (the decided records are passed over, the refused
    // one is refused again).
    run(&[]).assert_ok();
    assert_eq!(kafka().read_all(&retry, Isolation::ReadCommitted).len(), 2);
}

#[test]
fn json_schema_records_are_renamed_checked_against_their_schema_and_refused_when_invalid() {
    let registry = apicurio();
    let id = registry.register(
        &unique("cancel-value"),
        &Schema::json(r#"{"$schema": "http://json-schema.org/draft-07/schema#", "title": "Cancel", "type": "object",
                      "properties": {"id": {"type": "integer"}, "reason": {"type": "string"}},
                      "required": ["id", "reason"], "additionalProperties": false}"#),
    );
    let records = vec![
        TestRecord::new(
            0,
            Some(b"c-1"),
            Some(&framed(id, br#"{"id": 1, "cancelReason": "late"}"#)),
        ),
        // No cancelReason: the transform makes `reason` null, which the schema refuses.
        TestRecord::new(0, Some(b"c-2"), Some(&framed(id, br#"{"id": 2}"#))),
        TestRecord::new(
            0,
            Some(b"c-3"),
            Some(&framed(id, br#"{"id": 3, "cancelReason": "duplicate"}"#)),
        ),
    ];
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &records);
    let run = with_registry(registry)
        .group(&unique("repair-json"))
        .args([
            "merge-all",
            &dlq,
            &retry,
            "--transform",
            ".reason = .cancelReason | del(.cancelReason)",
        ])
        .run();
    run.assert_ok();
    assert_contains(
        &run.stderr_text(),
        "offset 1 is left alone, not repaired: the JSON Schema refuses",
    );
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    let values: Vec<Vec<u8>> = copies.iter().map(|c| c.value.clone().unwrap()).collect();
    assert_eq!(
        values,
        [
            framed(id, br#"{"id":1,"reason":"late"}"#),
            framed(id, br#"{"id":3,"reason":"duplicate"}"#),
        ]
    );
}

/// A plan with repairs: the plan holds the new bytes and their digest, `apply` writes exactly
/// those (after checking each original is unchanged), a plan whose repaired bytes were edited
/// is refused, and `undo` of the apply's journal puts the originals back byte for byte.
#[test]
fn a_plan_with_repairs_is_applied_exactly_and_undone() {
    let originals: Vec<&[u8]> = vec![
        br#"{"id": 1, "cancelReason": "late"}"#,
        br#"{"id": 2, "cancelReason": "duplicate"}"#,
        b"not json, so not repaired",
    ];
    let records: Vec<TestRecord> = originals
        .iter()
        .enumerate()
        .map(|(i, value)| TestRecord::new(0, Some(format!("k{i}").as_bytes()), Some(value)))
        .collect();
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &records);
    let group = unique("repair-plan");
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.jsonl");
    Kmp::new()
        .group(&group)
        .arg("--plan")
        .arg(&plan)
        .args([
            "merge-all",
            &dlq,
            &retry,
            "--transform",
            ".reason = .cancelReason | del(.cancelReason)",
        ])
        .ok();
    kafka().assert_empty(&retry);
    let lines: Vec<Value> = std::fs::read_to_string(&plan)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let repaired = &lines[1]["repair"];
    assert_eq!(
        repaired["value"],
        json!(BASE64.encode(br#"{"id":1,"reason":"late"}"#))
    );
    assert_eq!(
        repaired["expression"],
        json!(".reason = .cancelReason | del(.cancelReason)")
    );
    assert_eq!(lines[3]["decision"], json!("left-alone"));
    assert_contains(lines[3]["reason"].as_str().unwrap(), "not repaired");
    // The reviewer sees the repairs field by field, and why the third is not repaired.
    let shown = Kmp::bare()
        .args(["plan", "show"])
        .arg(&plan)
        .ok()
        .stdout_text();
    let by = Repair::by_expression(".reason = .cancelReason | del(.cancelReason)");
    assert_contains(
        &shown,
        &format!("Repairs: 2 merged record(s) are written repaired ({by} 2)"),
    );
    assert_contains(&shown, "  0/0 (");
    assert_contains(&shown, "    .cancelReason: \"late\" → (absent)");
    assert_contains(&shown, "    .reason: (absent) → \"late\"");
    assert_contains(&shown, "  0/2 not repaired: the expression failed");
    assert_contains(&shown, "left alone: not repaired, so not merged");

    // A copy of the plan whose repaired bytes were changed by hand: refused (with
    // --all-or-nothing, nothing is written).
    let forged = dir.path().join("forged.jsonl");
    let text = std::fs::read_to_string(&plan).unwrap().replacen(
        &BASE64.encode(br#"{"id":1,"reason":"late"}"#),
        &BASE64.encode(br#"{"id":1,"reason":"LATE"}"#),
        1,
    );
    std::fs::write(&forged, text).unwrap();
    let refused = Kmp::new()
        .group(&group)
        .args(["apply", "--all-or-nothing"])
        .arg(&forged)
        .run();
    assert_ne!(refused.status.code(), Some(0), "{}", refused.stderr_text());
    assert_contains(&refused.stderr_text(), "repaired bytes");

    let journal = dir.path().join("journal.jsonl");
    Kmp::new()
        .group(&group)
        .arg("-t")
        .arg("--journal")
        .arg(&journal)
        .arg("apply")
        .arg(&plan)
        .ok();
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    let values: Vec<&[u8]> = copies.iter().map(|c| c.value.as_deref().unwrap()).collect();
    assert_eq!(
        values,
        [
            &br#"{"id":1,"reason":"late"}"#[..],
            br#"{"id":2,"reason":"duplicate"}"#
        ],
        "exactly the plan's bytes; the forged line's copy was never written"
    );
    assert_eq!(
        copies[1].header_text("kmp-repaired-from"),
        Some(Repair::digest_of(Some(originals[1])).as_str())
    );

    let end = kafka().end_offsets(&dlq)[&0];
    Kmp::new()
        .args(["-t=undo-repair", "undo"])
        .arg(&journal)
        .arg("--tombstone-copies")
        .ok()
        .assert_said("2 record(s) written back");
    let back: Vec<Vec<u8>> = kafka()
        .read_all(&dlq, Isolation::ReadCommitted)
        .into_iter()
        .filter(|r| r.offset >= end)
        .filter_map(|r| r.value)
        .collect();
    assert_eq!(
        back,
        [originals[0].to_vec(), originals[1].to_vec()],
        "the originals, byte for byte"
    );
    let tombstoned: Vec<Vec<u8>> = kafka()
        .read_all(&retry, Isolation::ReadCommitted)
        .into_iter()
        .filter(|r| r.value.is_none())
        .filter_map(|r| r.key)
        .collect();
    assert_eq!(tombstoned, [b"k0".to_vec(), b"k1".to_vec()]);
}

#[test]
fn protobuf_records_are_transformed_with_their_message_type_and_checked() {
    let registry = apicurio();
    let money = unique("money");
    registry.register(&money, &Schema::protobuf(&fixture_text("money.proto")));
    let order = registry.register(
        &unique("proto-orders-value"),
        &Schema::protobuf(&fixture_text("order.proto")).referencing(&[(
            "billing/money.proto",
            &money,
            1,
        )]),
    );
    let original = reframed(&fixture("proto-order.bin"), order);
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(&dlq, &[TestRecord::new(0, Some(b"o-17"), Some(&original))]);
    with_registry(registry)
        .group(&unique("repair-proto"))
        .args([
            "merge-all",
            &dlq,
            &retry,
            "--transform",
            r#".id = "o-17-fixed" | .checksum = "0x00ff" | .state = "PAID""#,
        ])
        .ok();
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(copies.len(), 1);
    let copy = copies[0].value.as_deref().unwrap();
    assert_eq!(
        &copy[..6],
        &original[..6],
        "the same frame and message-index array"
    );
    let decoded = protobuf(&[copy]);
    let mut expected = protobuf(&[&original]).remove(0);
    expected["message"]["id"] = json!("o-17-fixed");
    expected["message"]["checksum"] = json!(BASE64.encode([0x00, 0xff]));
    expected["message"]["state"] = json!("PAID");
    assert_eq!(decoded[0], expected, "only what the transform changed");
    assert_eq!(
        copies[0].header_text("kmp-repaired-from"),
        Some(Repair::digest_of(Some(&original)).as_str())
    );
}

/// `e` at the line prompt: the value opens in `$EDITOR` (a script here, which breaks the JSON
/// the first time, changes a field the second, and saves unchanged the third); an invalid or
/// unchanged edit decides nothing and asks again; a valid one merges the edited copy.
#[test]
fn an_edit_at_the_prompt_is_checked_written_with_the_schema_and_merged() {
    let registry = apicurio();
    let order = registry.register(
        &unique("orders-value"),
        &Schema::avro(&fixture_text("order.avsc")),
    );
    let original = reframed(&fixture("order-value.bin"), order);
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    kafka().produce(
        &dlq,
        &[
            TestRecord::new(0, Some(b"o-1"), Some(&original)),
            TestRecord::new(0, Some(b"o-2"), Some(&original)),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            r#"#!/bin/sh
count={dir}/count
n=$(($(cat "$count" 2>/dev/null || echo 0) + 1))
echo "$n" > "$count"
case "$n" in
  1) echo '{{ "id": ' > "$1" ;;
  2) sed -i 's/leave at the door/ring twice/' "$1" ;;
  *) : ;;
esac
"#,
            dir = dir.path().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let run = with_registry(registry)
        .group(&unique("repair-edit"))
        .env("EDITOR", &editor)
        .args(["ask", "--no-tui", &dlq, &retry])
        .stdin(b"e\ne\ne\ns\n")
        .run();
    run.assert_ok();
    let said = run.stderr_text();
    assert_contains(&said, "Not edited, nothing decided: not JSON");
    assert_contains(&said, "Repaired (edit), the copy holds:");
    assert_contains(&said, r#"  .note: "leave at the door" → "ring twice""#);
    assert_contains(&said, "Not edited, nothing decided: nothing was changed");
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(copies.len(), 1, "o-1 merged edited, o-2 skipped");
    assert_eq!(copies[0].header_text("kmp-repaired"), Some("edit"));
    let decoded = fastavro("order.avsc", &[], &[copies[0].value.as_deref().unwrap()]);
    let mut expected = fastavro("order.avsc", &[], &[&original]).remove(0);
    expected["datum"]["note"] = json!("ring twice");
    assert_eq!(decoded[0], expected);
}

/// `--repair-schema latest`: the service now reads a new version of the record's schema (a
/// renamed field); the transform's result is written with the latest schema of the
/// destination's subject and framed with its id (the record's own schema refuses it).
#[test]
fn a_repair_is_written_with_the_latest_schema_of_the_destination() {
    let registry = apicurio();
    let (dlq, retry) = kafka().dlq_and_retry(1, 1);
    let v1 = r#"{"type": "record", "name": "Cancel", "namespace": "com.acme",
                 "fields": [{"name": "id", "type": "long"}, {"name": "cancelReason", "type": "string"}]}"#;
    let v2 = r#"{"type": "record", "name": "Cancel", "namespace": "com.acme",
                 "fields": [{"name": "id", "type": "long"}, {"name": "reason", "type": "string"}]}"#;
    let old = registry.register(&unique("cancel-old"), &Schema::avro(v1));
    let new = registry.register(&format!("{retry}-value"), &Schema::avro(v2));
    // {"id": 7, "cancelReason": "late"} in Avro's binary encoding, by hand: zig-zag 7, then
    // the string's zig-zag length 4 and its bytes.
    let datum = [&[0x0e, 0x08][..], b"late"].concat();
    kafka().produce(
        &dlq,
        &[TestRecord::new(0, Some(b"c-7"), Some(&framed(old, &datum)))],
    );
    let transform = ".reason = .cancelReason | del(.cancelReason)";
    let merge = |extra: &[&str]| {
        with_registry(registry)
            .group(&unique("repair-latest"))
            .args(["merge-all", &dlq, &retry, "--transform", transform])
            .args(extra)
            .run()
    };
    // With the record's own schema: refused, nothing written.
    let refused = merge(&["--dry-run"]);
    refused.assert_ok();
    assert_contains(&refused.stdout_text(), "Cancel has no field \"reason\"");

    merge(&["--repair-schema", "latest"]).assert_ok();
    let copies = kafka().read_all(&retry, Isolation::ReadCommitted);
    assert_eq!(copies.len(), 1);
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("cancel-v2.avsc");
    std::fs::write(&schema, v2).unwrap();
    let decoded = fastavro(
        schema.to_str().unwrap(),
        &[],
        &[copies[0].value.as_deref().unwrap()],
    );
    assert_eq!(
        decoded[0],
        json!({"schema_id": new, "datum": {"id": 7, "reason": "late"}})
    );
}

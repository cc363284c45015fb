use super::*;

#[test]
fn without_a_registry_payloads_are_plain() {
    let mut decoder = Decoder::plain();
    let framed = [0, 0, 0, 0, 7, 2, 4];
    assert_eq!(
        decoder.decode(&framed, DecoderHint::Auto),
        Decoded::plain(&framed)
    );
    assert_eq!(
        decoder.decode(br#"{"a":1}"#, DecoderHint::Auto).body,
        Body::Json(JsonText::from_value(&serde_json::json!({"a": 1})))
    );
    let forced = decoder.decode(&framed, DecoderHint::Avro);
    assert_eq!(
        forced.error.as_deref(),
        Some("no schema registry configured")
    );
    assert_eq!(forced.body, Body::Binary(framed.to_vec()));
}

/// Every way decoding can fail, against a registry served by httpmock: the payload comes
/// back raw (as `Decoded::plain` would show it) with the reason on one line.
#[test]
fn failures_show_the_payload_raw_with_the_reason() {
    use httpmock::{Method::GET, MockServer};
    use std::time::Duration;

    let server = MockServer::start();
    let schema = |id: u32, status: u16, body: &str| {
        let body = body.to_owned();
        server.mock(move |when, then| {
            when.method(GET)
                .path(format!("/schemas/ids/{id}"))
                .header("authorization", "Basic dTpw");
            then.status(status)
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(body);
        })
    };
    let record = r#"{"type":"record","name":"R","namespace":"com.acme","fields":[{"name":"s","type":"string"}]}"#;
    let _avro = schema(7, 200, &serde_json::json!({ "schema": record }).to_string());
    let _json = schema(9, 200, r#"{"schemaType":"JSON","schema":"{}"}"#);
    let _bad = schema(11, 200, r#"{"schema":"{\"type\":\"nonsense\"}"}"#);
    let _garbage = schema(12, 200, "not json");
    let _missing = schema(
        404,
        404,
        r#"{"error_code":40403,"message":"Schema 404 not found"}"#,
    );
    let _unauthorized = server.mock(|when, then| {
        when.header_not("authorization", "Basic dTpw");
        then.status(401)
            .body(r#"{"error_code":401,"message":"Unauthorized"}"#);
    });
    let registry = |url: String, password: &str| {
        let settings = crate::config::RegistrySettings {
            url,
            basic_auth: Some(("u".into(), password.into())),
            ca_location: None,
            id_width: crate::config::IdWidth::Four,
        };
        Registry::new(&settings, Duration::from_secs(10)).unwrap()
    };
    let framed = |id: u32, payload: &[u8]| {
        let mut bytes = vec![0];
        bytes.extend(id.to_be_bytes());
        bytes.extend(payload);
        bytes
    };
    let mut good = Decoder::with(
        Some(registry(server.base_url(), "p")),
        DecoderHint::Auto,
        DecoderHint::Auto,
    );
    assert_eq!(
        good.decode(&framed(7, b"\x06abc"), DecoderHint::Auto).body,
        Body::Json(JsonText::from_value(&serde_json::json!({"s": "abc"})))
    );
    let wrong_password = Decoder::with(
        Some(registry(server.base_url(), "nope")),
        DecoderHint::Auto,
        DecoderHint::Auto,
    );
    let unreachable = Decoder::with(
        Some(registry("http://127.0.0.1:9".into(), "p")),
        DecoderHint::Auto,
        DecoderHint::Auto,
    );

    const GOOD: usize = 0;
    const WRONG_PASSWORD: usize = 1;
    const UNREACHABLE: usize = 2;
    let cases: Vec<(&str, usize, Vec<u8>, DecoderHint, &str)> = vec![
        (
            "unknown id",
            GOOD,
            framed(404, b"x"),
            DecoderHint::Auto,
            "cannot fetch schema 404: HTTP request to schema registry failed with status 404 Not Found (error 40403: Schema 404 not found)",
        ),
        (
            "truncated",
            GOOD,
            framed(7, b"\x06ab"),
            DecoderHint::Auto,
            "schema 7 (com.acme.R): corrupt Avro data: the payload ends inside the datum (truncated?)",
        ),
        (
            "corrupt",
            GOOD,
            framed(7, b"\x01"),
            DecoderHint::Avro,
            "schema 7 (com.acme.R): corrupt Avro data: ",
        ),
        (
            "left over",
            GOOD,
            framed(7, b"\x06abcd"),
            DecoderHint::Auto,
            "schema 7 (com.acme.R): corrupt Avro data: 1 byte(s) left over after the datum",
        ),
        (
            "not framed under -a",
            GOOD,
            b"hello".to_vec(),
            DecoderHint::Avro,
            "not in the schema registry wire format: first byte is 0x68, not 0x00",
        ),
        (
            "too short under -a",
            GOOD,
            vec![0, 0, 7],
            DecoderHint::Avro,
            "not in the schema registry wire format: 3 byte(s), the frame alone takes 5",
        ),
        (
            "JSON Schema payload that is not JSON",
            GOOD,
            framed(9, b"{oops"),
            DecoderHint::Auto,
            "schema 9 (JSON): payload is not JSON: ",
        ),
        (
            "JSON Schema payload that is not UTF-8",
            GOOD,
            framed(9, b"\"\xff\""),
            DecoderHint::Auto,
            "schema 9 (JSON): payload is not JSON: invalid utf-8",
        ),
        (
            "schema that is not Avro",
            GOOD,
            framed(11, b""),
            DecoderHint::Auto,
            "schema 11 is not a usable Avro schema: Unknown primitive type: nonsense",
        ),
        (
            "registry answer that is not JSON",
            GOOD,
            framed(12, b""),
            DecoderHint::Auto,
            "cannot fetch schema 12: could not parse to RawRegisteredSchema",
        ),
        (
            "wrong credentials",
            WRONG_PASSWORD,
            framed(7, b"\x06abc"),
            DecoderHint::Auto,
            "cannot fetch schema 7: HTTP request to schema registry failed with status 401 Unauthorized (error 401: Unauthorized)",
        ),
        (
            "registry unreachable",
            UNREACHABLE,
            framed(7, b"\x06abc"),
            DecoderHint::Auto,
            "cannot fetch schema 7: http call to schema registry failed: ",
        ),
    ];
    let mut decoders = [good, wrong_password, unreachable];
    for (what, which, bytes, hint, reason) in cases {
        let decoded = decoders[which].decode(&bytes, hint);
        let error = decoded
            .error
            .unwrap_or_else(|| panic!("{what}: no error in {:?}", decoded.body));
        assert!(error.starts_with(reason), "{what}: {error}");
        assert!(!error.contains('\n'), "{what}: {error}");
        assert_eq!(decoded.body, Decoded::plain(&bytes).body, "{what}");
    }
}

/// A registry answering as Confluent's does, for every format: Protobuf with an import
/// from a reference, JSON Schema, Avro referencing another subject, a schema by GUID.
fn formats_registry(server: &httpmock::MockServer) {
    use httpmock::Method::GET;
    let answer = |path: String, body: serde_json::Value| {
        server.mock(move |when, then| {
            when.method(GET).path(path);
            then.status(200)
                .header("content-type", "application/vnd.schemaregistry.v1+json")
                .body(body.to_string());
        });
    };
    let proto = "syntax = \"proto3\";\npackage com.shop;\nimport \"acme/money.proto\";\n\
                 message Order { string id = 1; acme.Money total = 2; }\n\
                 message Bank { message Branch { string city = 1; } Branch branch = 1; }\n";
    let reference = serde_json::json!([
        {"name": "acme/money.proto", "subject": "money", "version": 3}
    ]);
    answer(
        "/schemas/ids/21".into(),
        serde_json::json!({"schemaType": "PROTOBUF", "schema": proto, "references": reference}),
    );
    answer(
        "/schemas/guids/3f2c5d0e-8a41-4c1b-9b7e-0d6f1e2a3b4c".into(),
        serde_json::json!({"schemaType": "PROTOBUF", "schema": proto, "references": reference,
            "guid": "3f2c5d0e-8a41-4c1b-9b7e-0d6f1e2a3b4c"}),
    );
    answer(
        "/subjects/money/versions/3".into(),
        serde_json::json!({"subject": "money", "version": 3, "id": 20, "schemaType": "PROTOBUF",
            "schema": "syntax = \"proto3\";\npackage acme;\nmessage Money { string currency = 1; int64 units = 2; }\n"}),
    );
    answer(
        "/schemas/ids/22".into(),
        serde_json::json!({"schemaType": "JSON",
            "schema": r#"{"title": "com.acme.Event", "$id": "https://acme.com/event.json", "type": "object"}"#}),
    );
    answer(
        "/schemas/ids/23".into(),
        serde_json::json!({"schema": r#"{"type":"record","name":"Invoice","namespace":"com.acme","fields":[{"name":"total","type":"com.acme.Amount"}]}"#,
            "references": [{"name": "com.acme.Amount", "subject": "amount", "version": 1}]}),
    );
    answer(
        "/subjects/amount/versions/1".into(),
        serde_json::json!({"subject": "amount", "version": 1, "id": 24,
            "schema": r#"{"type":"record","name":"Amount","namespace":"com.acme","fields":[{"name":"cents","type":"long"}]}"#}),
    );
    answer(
        "/schemas/ids/25".into(),
        serde_json::json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nmessage {"}),
    );
    answer(
        "/schemas/ids/26".into(),
        serde_json::json!({"schemaType": "PROTOBUF", "schema": "syntax = \"proto3\";\nimport \"gone.proto\";\nmessage A { B b = 1; }",
            "references": [{"name": "gone.proto", "subject": "gone", "version": 1}]}),
    );
    server.mock(|when, then| {
        when.method(GET).path("/subjects/gone/versions/1");
        then.status(404)
            .header("content-type", "application/vnd.schemaregistry.v1+json")
            .body(r#"{"error_code":40402,"message":"Version 1 not found."}"#);
    });
    server.mock(|when, then| {
        when.method(GET).path("/schemas/ids/27");
        then.status(200)
            .delay(std::time::Duration::from_secs(5))
            .body(r#"{"schema":"\"string\""}"#);
    });
}

fn header(name: &str, value: &[u8]) -> Header {
    Header {
        name: name.into(),
        value: Some(value.to_vec()),
    }
}

#[test]
fn every_registry_format_is_decoded() {
    let server = httpmock::MockServer::start();
    formats_registry(&server);
    let settings = crate::config::RegistrySettings {
        url: server.base_url(),
        basic_auth: None,
        ca_location: None,
        id_width: IdWidth::Four,
    };
    let registry = Registry::new(&settings, std::time::Duration::from_secs(1)).unwrap();
    let mut decoder = Decoder::with(Some(registry), DecoderHint::Auto, DecoderHint::Auto);
    let framed = |id: u32, payload: &[u8]| {
        let mut bytes = vec![0];
        bytes.extend(id.to_be_bytes());
        bytes.extend(payload);
        bytes
    };
    // Order { id "o", total { currency "EUR", units 5 } }, first message: index array [0].
    let order = [
        0x0a, 0x01, b'o', 0x12, 0x07, 0x0a, 0x03, b'E', b'U', b'R', 0x10, 0x05,
    ];
    let mut payload = vec![0];
    payload.extend(order);
    let decoded = decoder.decode(&framed(21, &payload), DecoderHint::Auto);
    assert_eq!(decoded.error, None);
    assert_eq!(
        decoded.body,
        Body::Json(JsonText::from_compact(
            r#"{"id":"o","total":{"currency":"EUR","units":5}}"#.into()
        ))
    );
    let schema = decoded.schema.unwrap();
    assert_eq!(schema.kind, Some(SchemaKind::Protobuf));
    assert_eq!(schema.name.as_deref(), Some("com.shop.Order"));
    // Bank.Branch { city "x" } at [1, 0]: count 2, then 1 and 0, zig-zag.
    let branch = framed(21, &[4, 2, 0, 0x0a, 0x01, b'x']);
    let decoded = decoder.decode(&branch, DecoderHint::Auto);
    assert_eq!(decoded.error, None);
    assert_eq!(
        decoded.schema.unwrap().name.as_deref(),
        Some("com.shop.Bank.Branch")
    );
    // The same schema named by GUID in the value's header; the payload is not framed.
    let guid = uuid::Uuid::parse_str("3f2c5d0e-8a41-4c1b-9b7e-0d6f1e2a3b4c").unwrap();
    let mut value_header = vec![1];
    value_header.extend(guid.as_bytes());
    value_header.extend([4, 2, 0]);
    let record = Record::test(0, 1)
        .with_value(Some(&[0x0a, 0x01, b'y']))
        .with_key(Some(b"k"));
    let mut record = record;
    record
        .headers
        .push(header(VALUE_SCHEMA_ID_HEADER, &value_header));
    let decoded = decoder.record(&record);
    let value = decoded.value.unwrap();
    assert_eq!(value.error, None);
    assert_eq!(
        value.body,
        Body::Json(JsonText::from_compact(r#"{"city":"y"}"#.into()))
    );
    let info = value.schema.unwrap();
    assert_eq!(info.id, SchemaRef::Guid(guid));
    assert_eq!(info.header, Some(VALUE_SCHEMA_ID_HEADER));
    assert_eq!(decoded.key.unwrap().schema, None, "the key names no schema");
    // JSON Schema: the title is the name.
    let decoded = decoder.decode(&framed(22, br#"{"a": [1, 2]}"#), DecoderHint::Auto);
    assert_eq!(decoded.error, None);
    assert_eq!(
        decoded.body,
        Body::Json(JsonText::from_compact(r#"{"a":[1,2]}"#.into()))
    );
    assert_eq!(
        decoded.schema.unwrap().name.as_deref(),
        Some("com.acme.Event")
    );
    // Avro with a named type from another subject: {"total": {"cents": 1234}}.
    let decoded = decoder.decode(&framed(23, &[0xa4, 0x13]), DecoderHint::Auto);
    assert_eq!(decoded.error, None);
    assert_eq!(
        decoded.body,
        Body::Json(JsonText::from_compact(r#"{"total":{"cents":1234}}"#.into()))
    );

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated index array",
            framed(21, &[4, 2]),
            "schema 21 (Protobuf): the message-index array is truncated",
        ),
        (
            "index out of range",
            framed(21, &[2, 4, 0x0a, 0x00]),
            "schema 21 (Protobuf): message index [2] is not in the schema (2 top-level message(s))",
        ),
        (
            "invalid Protobuf bytes",
            framed(21, &[0, 0x0a, 0x09, b'o']),
            "schema 21 (com.shop.Order): invalid Protobuf bytes: the message ends inside a field (truncated?)",
        ),
        (
            "a .proto that does not parse",
            framed(25, &[0]),
            "schema 25 is not a usable Protobuf schema: ",
        ),
        (
            "a reference the registry does not have",
            framed(26, &[0]),
            "cannot fetch \"gone.proto\", referenced by schema 26 (subject \"gone\" version 1): HTTP request to schema registry failed with status 404 Not Found (error 40402: Version 1 not found.)",
        ),
        (
            "a registry that times out",
            framed(27, b"x"),
            "cannot fetch schema 27: ",
        ),
    ];
    for (what, bytes, reason) in cases {
        let decoded = decoder.decode(&bytes, DecoderHint::Auto);
        let error = decoded
            .error
            .unwrap_or_else(|| panic!("{what}: no error in {:?}", decoded.body));
        assert!(error.starts_with(reason), "{what}: {error}");
        assert!(!error.contains('\n'), "{what}: {error}");
        assert_eq!(decoded.body, Decoded::plain(&bytes).body, "{what}");
    }
    // A header that cannot be read: the value shown raw, with the header's name.
    let mut record = Record::test(0, 2).with_value(Some(b"plain"));
    record.headers.push(header(VALUE_SCHEMA_ID_HEADER, &[7, 1]));
    let value = decoder.record(&record).value.unwrap();
    assert_eq!(
        value.error.as_deref(),
        Some(
            "header __value_schema_id: the first byte is 0x07, neither 0x00 (an id) nor 0x01 (a GUID)"
        )
    );
    assert_eq!(value.body, Body::Text("plain".into()));
}

#[test]
fn apicurio_eight_byte_ids() {
    let server = httpmock::MockServer::start();
    formats_registry(&server);
    let settings = crate::config::RegistrySettings {
        url: server.base_url(),
        basic_auth: None,
        ca_location: None,
        id_width: IdWidth::Eight,
    };
    let registry = Registry::new(&settings, std::time::Duration::from_secs(5)).unwrap();
    let mut decoder = Decoder::with(Some(registry), DecoderHint::Auto, DecoderHint::Auto)
        .with_id_width(IdWidth::Eight);
    let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 0, 22];
    bytes.extend(br#"{"ok":true}"#);
    let decoded = decoder.decode(&bytes, DecoderHint::Auto);
    assert_eq!(decoded.error, None);
    assert_eq!(decoded.schema.unwrap().id, SchemaRef::Id(22));
    let too_big = [0, 0, 0, 0, 1, 0, 0, 0, 22, b'1'];
    let decoded = decoder.decode(&too_big, DecoderHint::Auto);
    assert_eq!(
        decoded.error.as_deref(),
        Some("schema id 4294967318 is beyond the registry API's 32-bit ids")
    );
}

#[test]
fn text_and_hex_hints() {
    let mut decoder = Decoder::plain();
    assert_eq!(
        decoder.decode(br#"{"a":1}"#, DecoderHint::Text).body,
        Body::Text(r#"{"a":1}"#.into())
    );
    assert_eq!(
        decoder.decode(b"abc", DecoderHint::Hex).body,
        Body::Binary(b"abc".to_vec())
    );
    let bad = decoder.decode(&[0xff, 0x41], DecoderHint::Text);
    assert_eq!(bad.body, Body::Binary(vec![0xff, 0x41]));
    insta::assert_snapshot!(
        bad.error.unwrap(),
        @"not UTF-8 text: invalid utf-8 sequence of 1 bytes from index 0"
    );
}

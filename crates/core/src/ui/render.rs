//! Records rendered for people (text blocks) and for scripts (JSON Lines), from the record and
//! its decoded key and value ([`crate::decode`]).
//!
//! Text blocks cut long values (more than [`TEXT_LIMIT`] bytes of text, or [`HEX_LIMIT`] bytes
//! in a hex dump) and say how many bytes were left out; `--full-values` shows everything.
//! JSON Lines are never cut. Colour only when asked for ([`super::terminal::Terminal`]).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use base64::Engine as _;

use crate::config::Settings;
use crate::decode::json_text::push_escaped;
use crate::decode::registry::SchemaRef;
use crate::decode::registry::SetupError;
use crate::decode::text::{Plain, classify, hex, hex_dump};
use crate::decode::{Body, Decoded, DecodedRecord, Decoder, SchemaInfo};
use crate::record::{Record, Timestamp, TimestampKind};
use crate::redrive::origin::{SpringNumber, spring_number};

/// Text and JSON values longer than this many bytes are cut in text blocks.
pub const TEXT_LIMIT: usize = 4096;
/// Binary values longer than this many bytes are cut in hex dumps.
pub const HEX_LIMIT: usize = 1024;
/// Keys and header values longer than this many bytes are cut on their line.
pub const INLINE_LIMIT: usize = 512;

/// The line buffer is kept for the next line up to this size (a huge record's is not).
const LINE_KEPT: usize = 1 << 20;

/// How text blocks look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextOptions {
    /// Show long values whole instead of cutting them.
    pub full_values: bool,
    /// Use ANSI colours and bold.
    pub color: bool,
}

/// `record` as hex: key, each header, value; what `r` shows at the prompt and in the view.
#[must_use]
pub fn raw_text(record: &Record) -> String {
    let block = |bytes: Option<&[u8]>| {
        bytes.map_or_else(
            || "    <null>".to_owned(),
            |bytes| {
                crate::decode::text::hex_dump(bytes)
                    .lines()
                    .map(|line| format!("    {line}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            },
        )
    };
    let mut out = format!("Key:\n{}\n", block(record.key.as_deref()));
    for header in &record.headers {
        out.push_str(&format!(
            "Header {}:\n{}\n",
            header.name,
            block(header.value.as_deref())
        ));
    }
    out.push_str(&format!("Value:\n{}\n", block(record.value.as_deref())));
    out
}

/// Decodes records and renders them: what the printer and the prompt hold.
#[derive(Debug, Default)]
pub struct Renderer {
    decoder: Decoder,
    options: TextOptions,
    /// The JSON line being written ([`Renderer::write_json_line`]).
    line: String,
}

impl Renderer {
    #[must_use]
    pub fn new(decoder: Decoder, options: TextOptions) -> Self {
        Self {
            decoder,
            options,
            line: String::new(),
        }
    }

    /// A renderer with the decoder the settings ask for.
    ///
    /// # Errors
    /// When the schema registry client cannot be set up.
    pub fn for_settings(settings: &Settings, options: TextOptions) -> Result<Self, SetupError> {
        Ok(Self::new(Decoder::new(settings)?, options))
    }

    /// The decoder, e.g. to see how often the registry was asked.
    #[must_use]
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Writes `record` as a text block.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_text(&mut self, out: &mut impl Write, record: &Record) -> io::Result<()> {
        let decoded = self.decoder.record(record);
        write_text(out, record, &decoded, self.options)
    }

    /// Writes `record` as one JSON line.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write_json_line(&mut self, out: &mut impl Write, record: &Record) -> io::Result<()> {
        let decoded = self.decoder.record(record);
        // One buffer for every line: a line is as long as the record, allocated anew it
        // would be fresh memory each time.
        self.line.clear();
        push_json_line_break(&mut self.line, record, &decoded);
        let written = out.write_all(self.line.as_bytes());
        if self.line.capacity() > LINE_KEPT {
            self.line = String::new();
        }
        written
    }
}

/// ISO 8601 in UTC with milliseconds, or the raw number when out of range.
#[must_use]
pub fn iso_timestamp(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis).map_or_else(
        || millis.to_string(),
        |at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

fn kind_name(kind: TimestampKind) -> &'static str {
    match kind {
        TimestampKind::CreateTime => "create time",
        TimestampKind::LogAppendTime => "log append time",
    }
}

/// Styles for the parts of a text block; plain when colour is off.
struct Paint {
    color: bool,
}

impl Paint {
    const HEADER: Style = Style::new().bold();
    const NOTE: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
    const ERROR: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
    const ABSENT: Style = Style::new().dimmed();

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }
}

/// A key, value or header value on one line: compact JSON, text, or `0x` and hex.
#[must_use]
pub fn inline_text(body: &Body) -> String {
    match body {
        Body::Json(json) => json.as_str().to_owned(),
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => format!("0x{}", hex(bytes)),
    }
}

/// What a decoded key or value says about itself: its schema, or why it was not decoded.
fn note(decoded: &Decoded) -> Option<(Style, String)> {
    if let Some(error) = &decoded.error {
        return Some((Paint::ERROR, format!("not decoded: {error}")));
    }
    let schema = decoded.schema.as_ref()?;
    let kind = schema
        .kind
        .as_ref()
        .map_or_else(String::new, |kind| format!("{} ", kind.label()));
    let name = schema
        .name
        .as_ref()
        .map_or_else(String::new, |name| format!(", {name}"));
    let header = schema
        .header
        .map_or_else(String::new, |header| format!(" (header {header})"));
    Some((
        Paint::NOTE,
        format!("{kind}schema {}{header}{name}", schema.id),
    ))
}

/// The label of a key or value line: `Value`, `Value (Avro schema 7, com.acme.Order)`.
fn label(paint: &Paint, what: &str, decoded: &Decoded) -> String {
    match note(decoded) {
        Some((style, text)) => format!("{what} ({})", paint.paint(style, &text)),
        None => what.to_owned(),
    }
}

/// `text` cut to at most `limit` bytes (at a character boundary), and how many bytes were
/// left out.
fn cut(text: &str, limit: usize) -> (&str, usize) {
    if text.len() <= limit {
        return (text, 0);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], text.len() - end)
}

fn left_out(bytes: usize) -> String {
    format!("… {bytes} more byte(s) not shown (--full-values shows them)")
}

/// A one-line form, cut at [`INLINE_LIMIT`] unless `full`.
fn inline(body: &Body, full: bool) -> String {
    let text = inline_text(body);
    if full {
        return text;
    }
    match cut(&text, INLINE_LIMIT) {
        (_, 0) => text,
        (shown, rest) => format!("{shown} {}", left_out(rest)),
    }
}

/// A multi-line form of a value, indented by `indent`, cut unless `full`.
fn block(body: &Body, indent: &str, full: bool) -> String {
    let (text, rest) = match body {
        Body::Json(json) => cut_lines(json.pretty(), full),
        Body::Text(text) => cut_lines(text.clone(), full),
        Body::Binary(bytes) if !full && bytes.len() > HEX_LIMIT => (
            hex_dump(bytes.get(..HEX_LIMIT).unwrap_or(bytes)),
            bytes.len() - HEX_LIMIT,
        ),
        Body::Binary(bytes) => (hex_dump(bytes), 0),
    };
    let mut lines: Vec<String> = text.lines().map(|line| format!("{indent}{line}")).collect();
    if lines.is_empty() {
        lines.push(indent.to_owned());
    }
    if rest > 0 {
        lines.push(format!("{indent}{}", left_out(rest)));
    }
    lines.join("\n")
}

/// `text` cut at [`TEXT_LIMIT`] unless `full`, at the end of a line when there is one.
fn cut_lines(text: String, full: bool) -> (String, usize) {
    if full {
        return (text, 0);
    }
    let (shown, rest) = cut(&text, TEXT_LIMIT);
    if rest == 0 {
        return (text, 0);
    }
    let shown = match shown.rfind('\n') {
        Some(end) if end > 0 => &shown[..end],
        _ => shown,
    };
    let rest = text.len() - shown.len();
    (shown.to_owned(), rest)
}

/// Writes `record` as a text block for people, with its key and value as `decoded`.
///
/// # Errors
/// When `out` fails.
pub fn write_text(
    out: &mut impl Write,
    record: &Record,
    decoded: &DecodedRecord,
    options: TextOptions,
) -> io::Result<()> {
    let paint = Paint {
        color: options.color,
    };
    let full = options.full_values;
    let at = &record.at;
    let title = format!(
        "Record at offset #{} in topic '{}' (Partition #{}):",
        at.offset, at.topic, at.partition
    );
    writeln!(out, "{}", paint.paint(Paint::HEADER, &title))?;
    if let Some(from) = &record.read_from {
        writeln!(
            out,
            "    Read from: {}/{} offset {} (the record this share group's pointer names)",
            from.topic, from.partition, from.offset
        )?;
    }
    match record.timestamp {
        Some(Timestamp { millis, kind }) => {
            writeln!(
                out,
                "    Timestamp: {} ({})",
                iso_timestamp(millis),
                kind_name(kind)
            )?;
        }
        None => writeln!(
            out,
            "    Timestamp: {}",
            paint.paint(Paint::ABSENT, "<none>")
        )?,
    }
    match &decoded.key {
        None => writeln!(out, "    Key: {}", paint.paint(Paint::ABSENT, "<null>"))?,
        Some(key) => writeln!(
            out,
            "    {}: {}",
            label(&paint, "Key", key),
            inline(&key.body, full)
        )?,
    }
    if !record.headers.is_empty() {
        writeln!(out, "    Headers:")?;
        for header in &record.headers {
            let Some(value) = header.value.as_deref() else {
                let null = paint.paint(Paint::ABSENT, "<null>");
                writeln!(out, "        {}: {null}", header.name)?;
                continue;
            };
            if let Some(number) = spring_header_text(&header.name, value) {
                writeln!(out, "        {}: {number}", header.name)?;
                continue;
            }
            match Decoded::plain(value).body {
                // A stack trace, say: its lines under the header's name, indented.
                Body::Text(text) if text.contains('\n') => writeln!(
                    out,
                    "        {}:\n{}",
                    header.name,
                    block(&Body::Text(text), "            ", full)
                )?,
                body => writeln!(out, "        {}: {}", header.name, inline(&body, full))?,
            }
        }
    }
    match &decoded.value {
        None => writeln!(
            out,
            "    Value: {}",
            paint.paint(Paint::ABSENT, "<tombstone>")
        )?,
        Some(value) => writeln!(
            out,
            "    {}:\n{}",
            label(&paint, "Value", value),
            block(&value.body, "        ", full)
        )?,
    }
    Ok(())
}

/// One of Spring Kafka's binary number headers as people read it: the number, and for the
/// timestamp its ISO 8601 form too; `None` for any other header.
#[must_use]
pub fn spring_header_text(name: &str, value: &[u8]) -> Option<String> {
    Some(match spring_number(name, value)? {
        SpringNumber::Partition(partition) => partition.to_string(),
        SpringNumber::Offset(offset) => offset.to_string(),
        SpringNumber::Timestamp(millis) => format!("{millis} ({})", iso_timestamp(millis)),
    })
}

/// A header value in JSON: JSON as is, text as a string, binary as base64, each with its
/// `encoding`; Spring Kafka's binary numbers also as `number` (and `timestamp`, ISO 8601).
fn push_json_header(out: &mut String, name: &str, bytes: Option<&[u8]>) {
    let Some(bytes) = bytes else {
        out.push_str("null");
        return;
    };
    match classify(bytes) {
        Plain::Json(json) => push_data(out, "json", json.as_str()),
        Plain::Text(text) => push_text(out, &text),
        Plain::Binary => push_base64(out, bytes),
    }
    if let Some(number) = spring_number(name, bytes) {
        let value = match number {
            SpringNumber::Partition(n) => i64::from(n),
            SpringNumber::Offset(n) | SpringNumber::Timestamp(n) => n,
        };
        out.push_str(",\"number\":");
        out.push_str(&value.to_string());
        if let SpringNumber::Timestamp(millis) = number {
            out.push_str(",\"timestamp\":");
            push_escaped(out, &iso_timestamp(millis));
        }
    }
    out.push('}');
}

/// Opens a payload object with its encoding and `data`: `{"encoding":"json","data":<json>`;
/// the caller adds fields and closes it.
fn push_data(out: &mut String, encoding: &str, json: &str) {
    out.push_str("{\"encoding\":\"");
    out.push_str(encoding);
    out.push_str("\",\"data\":");
    out.push_str(json);
}

/// [`push_data`] with `text` as a `utf8` string.
fn push_text(out: &mut String, text: &str) {
    push_data(out, "utf8", "");
    push_escaped(out, text);
}

/// [`push_data`] with `bytes` in `base64`.
fn push_base64(out: &mut String, bytes: &[u8]) {
    push_data(out, "base64", "");
    out.push('"');
    base64::engine::general_purpose::STANDARD.encode_string(bytes, out);
    out.push('"');
}

/// A key or value in JSON: `{"encoding": "json", "data": <decoded>}` when decoded, else the
/// raw bytes as `utf8` text or `base64`; with `schema_id`, `schema_type`, `schema_name` and
/// `error` when they apply.
fn push_json_payload(out: &mut String, raw: Option<&[u8]>, decoded: Option<&Decoded>) {
    let (Some(raw), Some(decoded)) = (raw, decoded) else {
        out.push_str("null");
        return;
    };
    match (&decoded.body, &decoded.error) {
        (Body::Json(json), None) => push_data(out, "json", json.as_str()),
        _ => match std::str::from_utf8(raw) {
            Ok(text) if !matches!(decoded.body, Body::Binary(_)) => push_text(out, text),
            _ => push_base64(out, raw),
        },
    }
    if let Some(schema) = &decoded.schema {
        match &schema.id {
            SchemaRef::Id(id) => {
                out.push_str(",\"schema_id\":");
                out.push_str(itoa::Buffer::new().format(*id));
            }
            SchemaRef::Guid(guid) => {
                out.push_str(",\"schema_guid\":\"");
                out.push_str(
                    guid.hyphenated()
                        .encode_lower(&mut uuid::Uuid::encode_buffer()),
                );
                out.push('"');
            }
        }
        if let Some(header) = schema.header {
            out.push_str(",\"schema_header\":");
            push_escaped(out, header);
        }
        if let Some(kind) = &schema.kind {
            out.push_str(",\"schema_type\":");
            push_escaped(out, &kind.key());
        }
        if let Some(name) = &schema.name {
            out.push_str(",\"schema_name\":");
            push_escaped(out, name);
        }
    }
    if let Some(error) = &decoded.error {
        out.push_str(",\"error\":");
        push_escaped(out, error);
    }
    out.push('}');
}

fn push_schema_id(out: &mut String, decoded: Option<&Decoded>) {
    match decoded.and_then(|decoded| decoded.schema.as_ref()) {
        Some(SchemaInfo {
            id: SchemaRef::Id(id),
            ..
        }) => out.push_str(itoa::Buffer::new().format(*id)),
        // A GUID is in the key's or value's own `schema_guid`.
        _ => out.push_str("null"),
    }
}

/// The JSON object of one record: one line of `print --output json`, without its line break.
/// The field names are documented in the README's "JSON output" section. Written straight
/// into text (no `serde_json` tree): the decoded key and value are JSON text already.
#[must_use]
pub fn json_line(record: &Record, decoded: &DecodedRecord) -> String {
    let mut out = String::new();
    push_json_line(&mut out, record, decoded);
    out
}

/// [`json_line`], appended to `out`.
fn push_json_line(out: &mut String, record: &Record, decoded: &DecodedRecord) {
    let payloads =
        record.key.as_ref().map_or(0, Vec::len) + record.value.as_ref().map_or(0, Vec::len);
    out.reserve(320 + payloads * 2);
    let mut numbers = itoa::Buffer::new();
    out.push_str("{\"topic\":");
    push_escaped(out, &record.at.topic);
    out.push_str(",\"partition\":");
    out.push_str(numbers.format(record.at.partition));
    out.push_str(",\"offset\":");
    out.push_str(numbers.format(record.at.offset));
    // Only for a share group's pointer: where the key, value and timestamp were read.
    if let Some(from) = &record.read_from {
        out.push_str(",\"read_from\":{\"topic\":");
        push_escaped(out, &from.topic);
        out.push_str(",\"partition\":");
        out.push_str(numbers.format(from.partition));
        out.push_str(",\"offset\":");
        out.push_str(numbers.format(from.offset));
        out.push('}');
    }
    match record.timestamp {
        Some(Timestamp { millis, kind }) => {
            out.push_str(",\"timestamp\":");
            push_escaped(out, &iso_timestamp(millis));
            out.push_str(",\"timestamp_ms\":");
            out.push_str(numbers.format(millis));
            out.push_str(match kind {
                TimestampKind::CreateTime => ",\"timestamp_type\":\"create\"",
                TimestampKind::LogAppendTime => ",\"timestamp_type\":\"log-append\"",
            });
        }
        None => out.push_str(",\"timestamp\":null,\"timestamp_ms\":null,\"timestamp_type\":null"),
    }
    out.push_str(",\"key\":");
    push_json_payload(out, record.key.as_deref(), decoded.key.as_ref());
    out.push_str(",\"value\":");
    push_json_payload(out, record.value.as_deref(), decoded.value.as_ref());
    out.push_str(",\"key_schema_id\":");
    push_schema_id(out, decoded.key.as_ref());
    out.push_str(",\"value_schema_id\":");
    push_schema_id(out, decoded.value.as_ref());
    out.push_str(",\"headers\":[");
    for (i, header) in record.headers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        push_escaped(out, &header.name);
        out.push_str(",\"value\":");
        push_json_header(out, &header.name, header.value.as_deref());
        out.push('}');
    }
    out.push_str("]}");
}

/// Writes `record` as one JSON line, with its key and value as `decoded`.
///
/// # Errors
/// When `out` fails.
pub fn write_json_line(
    out: &mut impl Write,
    record: &Record,
    decoded: &DecodedRecord,
) -> io::Result<()> {
    let mut line = String::new();
    push_json_line_break(&mut line, record, decoded);
    out.write_all(line.as_bytes())
}

/// One JSON line with its line break, appended to `line`.
fn push_json_line_break(line: &mut String, record: &Record, decoded: &DecodedRecord) {
    push_json_line(line, record, decoded);
    line.push('\n');
}

#[cfg(test)]
mod tests;

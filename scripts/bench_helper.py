#!/usr/bin/env python3
"""The Python half of scripts/bench.sh: test data, a schema registry, the `ask` start-up probe
and the report. Standard library only (`check-avro` needs `fastavro`, `check-protobuf` `protobuf`, from PyPI).

    bench_helper.py data plain|avro|protobuf|json RECORDS KEY_BYTES VALUE_BYTES OUT_FILE [SCHEMA_ID]
    bench_helper.py registry PORT_FILE ID=TYPE:SCHEMA_FILE...
    bench_helper.py startup OUT_TSV -- COMMAND...
    bench_helper.py view OUT_TSV RECORDS -- COMMAND...
    bench_helper.py report RESULTS_TSV META_FILE
    bench_helper.py check-avro DATA_FILE [RECORDS]
    bench_helper.py check-protobuf DATA_FILE [RECORDS]

data: the records of a dead letter queue for `kcat -P -K '\\t' -l`, one per line,
  `key<TAB>value<NEWLINE>`. Keys: KEY_BYTES of hex, unique. plain: values of VALUE_BYTES
  printable ASCII, different from record to record. avro: values in the Confluent wire format
  (magic byte 0, 4-byte big-endian schema id, Avro binary, encoded here by hand) of
  bench-order.avsc, brought to
  about VALUE_BYTES by a filler field. protobuf: the same order as bench-order.proto, in
  Confluent's Protobuf framing (the frame, then the message-index array [0] as the byte 0, then
  the message, encoded here by hand). json: the same order as JSON text (bench-order.schema.json)
  after the frame. No value contains a newline (kcat's delimiter): a record whose encoding has
  one is written with slightly different field values.

registry: serves `GET /schemas/ids/{ID}` with `{"schemaType": TYPE, "schema": "<SCHEMA_FILE as
  a string>"}` for each ID=TYPE:SCHEMA_FILE (TYPE: AVRO, PROTOBUF or JSON), 404 with Confluent's
  error body for other ids, on 127.0.0.1 (any free port, written to PORT_FILE) until killed;
  counts requests on stderr.

startup: runs COMMAND (an `ask`) with stdin an open pipe nobody writes to, timestamps each
  stderr line, and stops at the first prompt; appends `seconds_to_prompt<TAB>cpu_seconds<TAB>
  requests` to OUT_TSV, where requests counts librdkafka `Sent ...Request` debug lines before
  the prompt (only with `-o debug=protocol`).

view: runs COMMAND (an `ask` that opens the full-screen view) in a pseudo-terminal of 160x40,
  reads the screen back with `pyte` (Debian's python3-pyte), and times until the first records
  are listed and until all RECORDS are (the header line says `RECORDS record(s)` and no longer
  `reading…`); then reads the tool's peak RSS (VmHWM) and quits with `q`. Appends
  `seconds_to_first_records<TAB>seconds_to_all<TAB>peak_rss_kb` to OUT_TSV.

check-avro: reads the first RECORDS (1000) values of an avro DATA_FILE with fastavro, an
  independent Avro implementation, and compares them with what was meant to be written.
check-protobuf: the same for a protobuf DATA_FILE, read with Google's `protobuf` package (PyPI).

report: medians of RESULTS_TSV (case, run, seconds, rss_kb, cpu_seconds, own_rate) as a
  Markdown table, ratios, and targets; META_FILE holds `key=value` lines (records, sizes,
  machine, commands).
"""

import json
import os
import random
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = "Would you like to (M)erge, (p)urge or (s)kip the record?"


# --- data ----------------------------------------------------------------------------------


def key_of(index, key_bytes):
    return format(index, "x").rjust(key_bytes, "0")[-key_bytes:].encode()


def plain(records, key_bytes, value_bytes, out):
    rng = random.Random(6)
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.:;-_"
    text = bytes(rng.choice(alphabet) for _ in range(1 << 16))
    span = len(text) - value_bytes
    for index in range(records):
        start = (index * 7919) % span
        out.write(key_of(index, key_bytes))
        out.write(b"\t")
        out.write(text[start : start + value_bytes])
        out.write(b"\n")


def zigzag(n):
    """Avro's int and long: zigzag, then a base-128 varint."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def avro_string(text):
    data = text.encode()
    return zigzag(len(data)) + data


def avro_decimal(unscaled):
    """A decimal as Avro bytes: the unscaled value, big-endian two's complement."""
    size = max(1, (unscaled.bit_length() + 8) // 8)
    return avro_string_bytes(unscaled.to_bytes(size, "big", signed=True))


def avro_string_bytes(data):
    return zigzag(len(data)) + data


STATES = ["CREATED", "PAID", "SHIPPED", "CANCELED"]


def order(index, tweak, filler):
    """The datum of bench-order.avsc for record `index`, as Python values (unscaled amount).
    tweak > 0: another try for a record whose encoding had a newline, with every number
    drawn anew (each try has the same small chance of a newline byte)."""
    pick = random.Random(index * 7919 + tweak) if tweak else None

    def number(low, high, default):
        return pick.randint(low, high) if pick else default

    return {
        "orderId": f"order-{index:010d}",
        "customerId": number(100_000, 9_000_000, 100_000 + (index * 31) % 9_000_000),
        "state": index % len(STATES),
        "amount": number(1, 10_000_000, (index % 100_000) * 7),
        "currency": "EUR",
        "createdAt": 1_764_000_000_000 + index * 1000 + number(0, 999, 0),
        "lines": [
            (f"sku-{(index + n) % 5000:05d}", number(1, 9, 1 + (index + n) % 9)) for n in range(3)
        ],
        "note": filler,
    }


def encode_order(datum):
    """Avro binary of bench-order.avsc, written by hand (no Avro library needed; checked
    against fastavro by `bench_helper.py check-avro`)."""
    parts = [
        avro_string(datum["orderId"]),
        zigzag(datum["customerId"]),
        zigzag(datum["state"]),
        avro_decimal(datum["amount"]),
        avro_string(datum["currency"]),
        zigzag(datum["createdAt"]),
        zigzag(len(datum["lines"])),
    ]
    for sku, quantity in datum["lines"]:
        parts.append(avro_string(sku))
        parts.append(zigzag(quantity))
    parts.append(zigzag(0))  # end of the array's blocks
    parts.append(zigzag(1))  # union branch 1: string
    parts.append(avro_string(datum["note"]))
    return b"".join(parts)


def avro(records, key_bytes, value_bytes, out, schema_id):
    header = b"\x00" + struct.pack(">I", schema_id)
    if b"\n" in header:
        sys.exit(f"schema id {schema_id} has a newline byte in its encoding")
    rng = random.Random(6)
    filler_text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(1 << 16))
    # The filler is sized once, from the first record: the others differ by a few bytes.
    base = len(header) + len(encode_order(order(0, 0, "")))
    filler_len = max(0, value_bytes - base - 2)
    span = max(1, len(filler_text) - filler_len)
    for index in range(records):
        start = (index * 7919) % span
        filler = filler_text[start : start + filler_len]
        tweak = 0
        while True:
            value = header + encode_order(order(index, tweak, filler))
            if b"\n" not in value:
                break
            tweak += 1
            if tweak > 100:
                sys.exit(f"record {index}: every encoding tried has a newline")
        out.write(key_of(index, key_bytes))
        out.write(b"\t")
        out.write(value)
        out.write(b"\n")


def varint(n):
    """Protobuf's varint (negative numbers as 10 bytes, two's complement)."""
    n &= (1 << 64) - 1
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def pb_field(number, wire, payload):
    """One field: its tag, then a varint (wire 0) or a length-delimited payload (wire 2)."""
    tag = varint(number << 3 | wire)
    if wire == 0:
        return tag + varint(payload) if payload else b""
    return tag + varint(len(payload)) + payload


def encode_order_protobuf(datum):
    """Protobuf of bench-order.proto, written by hand (checked against Google's protobuf
    package by `bench_helper.py check-protobuf`); fields at their default are left out, as a
    Protobuf serializer leaves them out."""
    millis = datum["createdAt"]
    timestamp = pb_field(1, 0, millis // 1000) + pb_field(2, 0, (millis % 1000) * 1_000_000)
    parts = [
        pb_field(1, 0, datum["customerId"]),
        pb_field(2, 2, datum["orderId"].encode()),
        pb_field(3, 0, datum["state"]),
        pb_field(4, 0, datum["amount"]),
        pb_field(5, 2, datum["currency"].encode()),
        pb_field(6, 2, timestamp),
    ]
    for sku, quantity in datum["lines"]:
        parts.append(pb_field(7, 2, pb_field(1, 0, quantity) + pb_field(2, 2, sku.encode())))
    parts.append(pb_field(8, 2, datum["note"].encode()))
    return b"".join(parts)


def encode_order_json(datum):
    millis = datum["createdAt"]
    amount = datum["amount"]
    return json.dumps(
        {
            "orderId": datum["orderId"],
            "customerId": datum["customerId"],
            "state": STATES[datum["state"]],
            "amount": f"{amount // 100}.{amount % 100:02d}",
            "currency": datum["currency"],
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis // 1000))
            + f".{millis % 1000:03d}Z",
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in datum["lines"]],
            "note": datum["note"],
        },
        separators=(",", ":"),
    ).encode()


def framed_orders(records, key_bytes, value_bytes, out, header, encode):
    """Orders encoded by `encode` after `header`, each about VALUE_BYTES long."""
    if b"\n" in header:
        sys.exit(f"the frame {header!r} has a newline byte")
    rng = random.Random(6)
    filler_text = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(1 << 16))
    base = len(header) + len(encode(order(0, 0, "")))
    filler_len = max(0, value_bytes - base - 2)
    span = max(1, len(filler_text) - filler_len)
    for index in range(records):
        start = (index * 7919) % span
        filler = filler_text[start : start + filler_len]
        tweak = 0
        while True:
            value = header + encode(order(index, tweak, filler))
            if b"\n" not in value:
                break
            tweak += 1
            if tweak > 100:
                sys.exit(f"record {index}: every encoding tried has a newline")
        out.write(key_of(index, key_bytes))
        out.write(b"\t")
        out.write(value)
        out.write(b"\n")


def cmd_check_protobuf(args):
    """Decodes the first records of a protobuf data file with Google's protobuf (pip)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

    F = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name="bench-order.proto",
        package="com.example.bench",
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )
    event = file.message_type.add(name="OrderEvent")
    state = event.enum_type.add(name="State")
    for number, name in enumerate(STATES):
        state.value.add(name=name, number=number)
    line = event.nested_type.add(name="Line")
    line.field.add(name="quantity", number=1, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    line.field.add(name="sku", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    event.oneof_decl.add(name="_note")
    for name, number, kind, type_name in [
        ("customer_id", 1, F.TYPE_INT64, None),
        ("order_id", 2, F.TYPE_STRING, None),
        ("state", 3, F.TYPE_ENUM, ".com.example.bench.OrderEvent.State"),
        ("amount_cents", 4, F.TYPE_INT64, None),
        ("currency", 5, F.TYPE_STRING, None),
        ("created_at", 6, F.TYPE_MESSAGE, ".google.protobuf.Timestamp"),
    ]:
        f = event.field.add(name=name, number=number, type=kind, label=F.LABEL_OPTIONAL)
        if type_name:
            f.type_name = type_name
    event.field.add(
        name="lines", number=7, type=F.TYPE_MESSAGE, label=F.LABEL_REPEATED,
        type_name=".com.example.bench.OrderEvent.Line",
    )
    event.field.add(
        name="note", number=8, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL,
        oneof_index=0, proto3_optional=True,
    )
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    Event = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("com.example.bench.OrderEvent")
    )
    with open(args[0], "rb") as f:
        for index, line in enumerate(f):
            if index >= int(args[1] if len(args) > 1 else 1000):
                break
            value = line.rstrip(b"\n").split(b"\t", 1)[1]
            assert value[:1] == b"\x00" and value[5:6] == b"\x00", "frame and index [0]"
            got = Event.FromString(value[6:])
            filler = got.note
            tweak = 0
            while True:
                want = order(index, tweak, filler)
                if b"\n" not in value[:6] + encode_order_protobuf(want):
                    break
                tweak += 1
            assert got.order_id == want["orderId"], (index, got)
            assert got.customer_id == want["customerId"], (index, got)
            assert got.state == want["state"], (index, got)
            assert got.amount_cents == want["amount"], (index, got)
            assert got.currency == want["currency"], (index, got)
            millis = got.created_at.seconds * 1000 + got.created_at.nanos // 1_000_000
            assert millis == want["createdAt"], (index, got)
            assert [(l.sku, l.quantity) for l in got.lines] == want["lines"], (index, got)
    print(f"protobuf reads the first records of {args[0]} as written")


def cmd_check_avro(args):
    """Decodes the first records of an avro data file with fastavro (pip) and compares."""
    import io
    from decimal import Decimal

    from fastavro import parse_schema, schemaless_reader

    with open(os.path.join(HERE, "bench-order.avsc"), encoding="utf-8") as f:
        schema = parse_schema(json.load(f))
    with open(args[0], "rb") as f:
        for index, line in enumerate(f):
            if index >= int(args[1] if len(args) > 1 else 1000):
                break
            value = line.rstrip(b"\n").split(b"\t", 1)[1]
            assert value[0] == 0, "magic byte"
            got = schemaless_reader(io.BytesIO(value[5:]), schema)
            filler = got["note"]
            tweak = 0
            while True:
                want = order(index, tweak, filler)
                if b"\n" not in value[:5] + encode_order(want):
                    break
                tweak += 1
            assert got["orderId"] == want["orderId"], (index, got)
            assert got["customerId"] == want["customerId"], (index, got)
            assert got["state"] == STATES[want["state"]], (index, got)
            assert got["amount"] == Decimal(want["amount"]).scaleb(-2), (index, got)
            assert got["currency"] == want["currency"], (index, got)
            millis = int(got["createdAt"].timestamp() * 1000)
            assert millis == want["createdAt"], (index, got)
            assert [(l["sku"], l["quantity"]) for l in got["lines"]] == want["lines"], (index, got)
    print(f"fastavro reads the first records of {args[0]} as written")


def cmd_data(args):
    kind, records, key_bytes, value_bytes, path = args[:5]
    records, key_bytes, value_bytes = int(records), int(key_bytes), int(value_bytes)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb", buffering=1 << 20) as out:
        if kind == "plain":
            plain(records, key_bytes, value_bytes, out)
        elif kind == "avro":
            avro(records, key_bytes, value_bytes, out, int(args[5]) if len(args) > 5 else 1)
        elif kind in ("protobuf", "json"):
            frame = b"\x00" + struct.pack(">I", int(args[5]) if len(args) > 5 else 1)
            if kind == "protobuf":
                header, encode = frame + b"\x00", encode_order_protobuf
            else:
                header, encode = frame, encode_order_json
            framed_orders(records, key_bytes, value_bytes, out, header, encode)
        else:
            sys.exit(f"unknown kind {kind}: plain, avro, protobuf or json")
    os.replace(tmp, path)


# --- registry ------------------------------------------------------------------------------


def cmd_registry(args):
    import http.server
    import re

    port_file, specs = args[0], args[1:]
    bodies = {}
    for spec in specs:
        schema_id, rest = spec.split("=", 1)
        kind, schema_file = rest.split(":", 1)
        with open(schema_file, encoding="utf-8") as f:
            text = f.read()
        if kind in ("AVRO", "JSON"):
            text = json.dumps(json.loads(text), separators=(",", ":"))
        bodies[int(schema_id)] = json.dumps({"schemaType": kind, "schema": text}).encode()
    missing = json.dumps({"error_code": 40403, "message": "Schema not found"}).encode()
    served = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            found = re.fullmatch(r"/schemas/ids/(\d+)(\?.*)?", self.path)
            served[0] += 1
            print(f"registry: request {served[0]}: {self.path}", file=sys.stderr, flush=True)
            body = bodies.get(int(found.group(1))) if found else None
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(body or missing)))
            self.end_headers()
            self.wfile.write(body or missing)

        def log_message(self, *_):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(f"{port_file}.tmp", "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(f"{port_file}.tmp", port_file)
    server.serve_forever()


# --- ask start-up --------------------------------------------------------------------------


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def cmd_startup(args):
    out_tsv = args[0]
    command = args[args.index("--") + 1 :]
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    requests = 0
    seconds = cpu = None
    for raw in process.stderr:
        line = raw.decode("utf-8", "replace")
        if "Sent " in line and "Request (" in line:
            requests += 1
        if PROMPT in line:
            seconds = time.monotonic() - started
            cpu = cpu_seconds(process.pid)
            break
    process.stdin.close()  # end of input: ask stops without deciding anything
    process.stderr.read()
    code = process.wait()
    if seconds is None:
        sys.exit(f"no prompt from {' '.join(command)} (exit {code})")
    with open(out_tsv, "a", encoding="utf-8") as f:
        f.write(f"{seconds:.4f}\t{cpu:.2f}\t{requests}\n")


# --- the full-screen view ---------------------------------------------------------------------


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cmd_view(args):
    import fcntl
    import pty
    import re
    import select
    import termios

    import pyte

    out_tsv, records = args[0], int(args[1])
    command = args[args.index("--") + 1 :]
    columns, lines = 160, 40
    screen = pyte.Screen(columns, lines)
    stream = pyte.ByteStream(screen)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=dict(os.environ, TERM="xterm-256color"),
        start_new_session=True,
    )
    os.close(slave)
    listed = re.compile(r"· ([1-9][\d,]*) record\(s\)")
    everything = f"· {records:,} record(s) ·"
    first = full = None
    rss = 0
    deadline = started + 600
    while full is None and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                stream.feed(os.read(master, 65536))
            except OSError:
                break
        head = screen.display[0]
        if first is None and listed.search(head):
            first = time.monotonic() - started
        if everything in head and "reading…" not in head:
            full = time.monotonic() - started
            rss = peak_rss_kb(process.pid)
    if full is None:
        process.kill()
        sys.exit(f"the view never listed {records} records; its screen:\n" + "\n".join(screen.display))
    os.write(master, b"q")
    # Drain until it exits (the pseudo-terminal fills otherwise).
    while process.poll() is None:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                os.read(master, 65536)
            except OSError:
                break
    code = process.wait()
    os.close(master)
    if code != 0:
        sys.exit(f"{' '.join(command)} exited with {code}")
    with open(out_tsv, "a", encoding="utf-8") as f:
        f.write(f"{first:.4f}\t{full:.4f}\t{rss}\n")


# --- report --------------------------------------------------------------------------------

CASES = [
    ("a", "(a) broker write ceiling: Kafka's ProducerPerformance, acks=all, idempotent"),
    ("b", "(b) plain copy: kcat consume piped into kcat produce"),
    ("c", "(c) `kafka-merge-purge merge-all`"),
    ("ct", "(c) `kafka-merge-purge merge-all -t`"),
    ("co", "(c) `kafka-merge-purge merge-all --to-origin`"),
    ("ci", "(c) `kafka-merge-purge merge-all --ignore-retention` (no retention pass)"),
    ("cd", "(c) `kafka-merge-purge merge-all --dedupe`"),
    ("cm", "(c) `kafka-merge-purge merge-all`, half of the DLQ decided before (passed over)"),
    ("ca", "(c) `kafka-merge-purge merge-all` of the Avro DLQ (e's records)"),
    ("cr", "(c) `kafka-merge-purge merge-all --transform` of the Avro DLQ: decoded, jq, re-encoded"),
    ("d", "(d) `kafka-merge-purge purge-all`"),
    ("p", "(p) `kafka-merge-purge print --pending` of a purged DLQ (2 × N records read)"),
    ("e", "(e) `kafka-merge-purge print --output json` (Avro, cached schema)"),
    ("ep", "(e) `kafka-merge-purge print --output json` (Protobuf, cached schema)"),
    ("ej", "(e) `kafka-merge-purge print --output json` (JSON Schema, cached schema)"),
    ("fill", "fill: `kcat -P` from a file (preparation, for reference)"),
]


def median(values):
    values = [v for v in values if v == v]  # drop NaN
    return statistics.median(values) if values else float("nan")


def cmd_report(args):
    results_tsv, meta_file = args[:2]
    meta = {}
    with open(meta_file, encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                key, value = line.rstrip("\n").split("=", 1)
                meta[key] = value
    records = int(meta["records"])
    value_bytes = int(meta["value_bytes"])
    rows = {}
    with open(results_tsv, encoding="utf-8") as f:
        for line in f:
            case, _run, seconds, rss_kb, cpu, own_rate = line.rstrip("\n").split("\t")
            rows.setdefault(case, []).append(
                (float(seconds), int(rss_kb), float(cpu), float(own_rate or "nan"))
            )

    def rate(case):
        """Median records/s: the tool's own figure for (a), else records over wall time."""
        runs = rows.get(case, [])
        if case == "a":
            return median([r[3] for r in runs])
        return median([records / r[0] for r in runs])

    out = []
    out.append(
        "| case | runs | records/s | slowest–fastest run | MiB/s (values) | wall s | CPU s "
        "| peak RSS MiB |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for case, label in CASES:
        runs = rows.get(case)
        if not runs:
            continue
        r = rate(case)
        each = [x[3] for x in runs] if case == "a" else [records / x[0] for x in runs]
        out.append(
            f"| {label} | {len(runs)} | {r:,.0f} | {min(each):,.0f}–{max(each):,.0f} "
            f"| {r * value_bytes / 2**20:,.1f} "
            f"| {median([x[0] for x in runs]):.2f} | {median([x[2] for x in runs]):.2f} "
            f"| {max(x[1] for x in runs) / 1024:,.0f} |"
        )
    lines = ["\n".join(out), ""]

    a, b = rate("a"), rate("b")
    ratios = []
    for case, name in (("c", "merge-all"), ("ct", "merge-all -t")):
        if case in rows:
            c = rate(case)
            # A case that did not run (BENCH_CASES) has no ratio: "n/a", not "nan".
            over_a = f"{c / a:.2f}" if "a" in rows else "n/a"
            over_b = f"{c / b:.2f}" if "b" in rows else "n/a"
            ratios.append(
                f"- {name}: c/a = {over_a}, c/b = {over_b}"
                + (f" (target with -t: c/a ≥ 0.40, i.e. 80 % of half of (a); c/b > 1)"
                   if case == "ct" else "")
            )
    lines.append("Ratios (medians):\n")
    lines.extend(ratios)
    lines.append("")

    def verdict(ok):
        return "met" if ok else "**not met**"

    targets = []
    if "ct" in rows and "a" in rows:
        share = rate("ct") / (a / 2)
        targets.append(
            f"- `merge-all -t` at ≥ 80 % of half of (a) (two writes per record): "
            f"{share:.0%} of it, {verdict(share >= 0.8)}"
        )
    if "b" in rows:
        for case, name in (("c", "merge-all"), ("ct", "merge-all -t")):
            if case in rows:
                targets.append(
                    f"- `{name}` faster than (b): {rate(case) / b:.2f}×, "
                    f"{verdict(rate(case) > b)}"
                )
    ours = [x[1] for case in ("c", "ct", "ca", "cr", "d", "e", "ep", "ej") for x in rows.get(case, [])]
    if ours:
        peak = max(ours) / 1024
        targets.append(f"- peak RSS below 150 MiB: {peak:,.0f} MiB at most, {verdict(peak < 150)}")
    if "co" in rows and "c" in rows:
        slower = rate("c") / rate("co") - 1
        targets.append(
            f"- `merge-all --to-origin` within 10 % of `merge-all`: "
            f"{rate('co') / rate('c'):.2f}× its rate, {verdict(slower <= 0.10)}"
        )
    for case, name, target in (
        ("e", "Avro", 200_000),
        ("ep", "Protobuf", 200_000),
        ("ej", "JSON Schema", 300_000),
    ):
        if case in rows:
            targets.append(
                f"- `print` with {name} ≥ {target:,} records/s: {rate(case):,.0f}, "
                f"{verdict(rate(case) >= target)}"
            )
    if targets:
        lines.append("Targets:\n")
        lines.extend(targets)
        lines.append("")

    if os.path.exists(meta.get("startup_tsv", "")):
        with open(meta["startup_tsv"], encoding="utf-8") as f:
            probes = [l.split("\t") for l in f.read().splitlines() if l]
        timed = [p for p in probes if int(p[2]) == 0]
        traced = [p for p in probes if int(p[2]) > 0]
        if timed:
            lines.append(
                f"`ask` start-up to the first prompt (stdin a pipe, {len(timed)} runs): median "
                f"{median([float(p[0]) for p in timed]) * 1000:.0f} ms wall, of which "
                f"{median([float(p[1]) for p in timed]) * 1000:.0f} ms CPU in the tool"
                + (
                    f"; {traced[0][2]} requests to the broker before the prompt "
                    f"(`-o debug=protocol`)."
                    if traced
                    else "."
                )
            )
            lines.append("")
    if os.path.exists(meta.get("view_tsv", "")):
        with open(meta["view_tsv"], encoding="utf-8") as f:
            probes = [[float(x) for x in l.split("\t")] for l in f.read().splitlines() if l]
        if probes:
            full = median([p[1] for p in probes])
            lines.append(
                f"`ask` full-screen view (stdin and stdout a 160x40 terminal, {len(probes)} runs): "
                f"first records listed after {median([p[0] for p in probes]) * 1000:.0f} ms, "
                f"all {records:,} after {full:.2f} s ({records / full:,.0f} records/s), "
                f"peak RSS {max(p[2] for p in probes) / 1024:,.0f} MiB (medians; RSS the largest)."
            )
            lines.append("")
    sys.stdout.write("\n".join(lines))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    {
        "data": cmd_data,
        "registry": cmd_registry,
        "startup": cmd_startup,
        "view": cmd_view,
        "report": cmd_report,
        "check-avro": cmd_check_avro,
        "check-protobuf": cmd_check_protobuf,
    }.get(command, lambda _: sys.exit(__doc__))(args)


if __name__ == "__main__":
    main()

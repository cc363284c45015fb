"""The tests' independent Avro decoder (fastavro, PyPI; installed by scripts/install.sh into
target/pydeps): argv[1] is a schema file (.avsc), argv[2:] the names of schemas it refers to
(files beside it, parsed first); stdin holds one payload per line in base64, framed in the
registry's wire format (magic byte 0, 4-byte id). Prints one JSON line per payload: the schema
id and the datum, with bytes as hex, decimals, dates and times as strings."""
import base64
import io
import json
import struct
import sys

import fastavro

named = {}
for path in sys.argv[2:]:
    fastavro.parse_schema(json.load(open(path)), named_schemas=named)
schema = fastavro.parse_schema(json.load(open(sys.argv[1])), named_schemas=named)


def plain(value):
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


for line in sys.stdin:
    payload = base64.b64decode(line.strip())
    assert payload[0] == 0, "not in the wire format"
    (schema_id,) = struct.unpack(">I", payload[1:5])
    datum = fastavro.schemaless_reader(io.BytesIO(payload[5:]), schema)
    print(json.dumps({"schema_id": schema_id, "datum": plain(datum)}))

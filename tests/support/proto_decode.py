"""The tests' independent Protobuf decoder (Google's `protobuf`, PyPI; installed by
scripts/install.sh into target/pydeps), over the descriptors tests/fixtures/make_formats.py
builds (order.proto, money.proto). stdin holds one payload per line in base64, framed in the
registry's wire format with the message-index array [0] (com.acme.orders.Order); prints one JSON
line per payload: the schema id and the message in Protobuf's JSON mapping (field names as
declared)."""
import base64
import json
import pathlib
import struct
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "fixtures"))

from google.protobuf import descriptor_pool, json_format, message_factory, timestamp_pb2  # noqa: E402

import make_formats  # noqa: E402

pool = descriptor_pool.DescriptorPool()
pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
pool.Add(make_formats.money_file())
pool.Add(make_formats.order_file())
Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("com.acme.orders.Order"))

for line in sys.stdin:
    payload = base64.b64decode(line.strip())
    assert payload[0] == 0, "not in the wire format"
    (schema_id,) = struct.unpack(">I", payload[1:5])
    assert payload[5] == 0, "not the message-index array [0]"
    order = Order.FromString(payload[6:])
    message = json_format.MessageToDict(order, preserving_proto_field_name=True)
    print(json.dumps({"schema_id": schema_id, "message": message}))

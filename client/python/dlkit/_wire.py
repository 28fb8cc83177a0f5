"""The few protobuf messages a trial sends on its hot path, encoded by hand.

Importing the generated modules (``dlkit.v1.*_pb2``) costs a trial about 12 ms of start-up,
a fifth of what ``import grpc`` itself costs; reports and stop checks need only these tiny
messages of ``reporter.proto``, so they are written and read here directly. The tests check
every encoding against the generated classes.
"""

import math
import struct
from typing import Dict, Tuple

# reporter.proto field numbers.
_REPORT_SECRET, _REPORT_KIND, _REPORT_VALUE, _REPORT_METRIC_NAME, _REPORT_ID = 1, 2, 3, 4, 5
_SHOULD_STOP_SECRET = 1
_RESPONSE_SHOULD_STOP = 1

# types.proto MetricKind.
METRIC_KINDS = {"intermediate_result": 1, "loss": 2, "final_result": 3}

_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _text(field: int, text: str) -> bytes:
    if not text:
        return b""  # proto3 leaves default values out
    data = text.encode("utf-8")
    return _key(field, _LENGTH) + _varint(len(data)) + data


def encode_report(secret: str, kind: str, value: float, metric_name: str,
                  report_id: int) -> bytes:
    """A ReportRequest."""
    out = _text(_REPORT_SECRET, secret)
    out += _key(_REPORT_KIND, _VARINT) + _varint(METRIC_KINDS[kind])
    if value != 0.0 or math.copysign(1.0, value) < 0:  # proto3 omits +0.0 only
        out += _key(_REPORT_VALUE, _FIXED64) + struct.pack("<d", value)
    out += _text(_REPORT_METRIC_NAME, metric_name)
    if report_id:
        out += _key(_REPORT_ID, _VARINT) + _varint(report_id)
    return out


def encode_should_stop(secret: str) -> bytes:
    """A ShouldStopRequest."""
    return _text(_SHOULD_STOP_SECRET, secret)


def _read_varint(data: bytes, pos: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint in a Reporter response")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def _varint_fields(data: bytes) -> Dict[int, int]:
    """The varint fields of a message; other fields are skipped (newer Reporters may add)."""
    fields: Dict[int, int] = {}
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            fields[field], pos = _read_varint(data, pos)
        elif wire_type == _FIXED64:
            pos += 8
        elif wire_type == _FIXED32:
            pos += 4
        elif wire_type == _LENGTH:
            length, pos = _read_varint(data, pos)
            pos += length
        else:
            raise ValueError("unknown wire type %d in a Reporter response" % wire_type)
    return fields


def decode_should_stop(data: bytes) -> bool:
    """``should_stop`` of a ReportResponse or ShouldStopResponse."""
    return bool(_varint_fields(data).get(_RESPONSE_SHOULD_STOP, 0))

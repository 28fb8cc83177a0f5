"""The hand-written encodings in dlkit._wire agree with the generated protobuf classes."""

import math

import pytest

from dlkit import _wire
from dlkit.v1 import reporter_pb2
from dlkit.v1 import types_pb2

KINDS = {"intermediate_result": types_pb2.INTERMEDIATE, "loss": types_pb2.LOSS,
         "final_result": types_pb2.FINAL}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("value", [0.0, -0.0, 0.93, -1e-300, 1e300, math.inf, -math.inf, 7.0])
@pytest.mark.parametrize("secret,name,report_id", [
    ("s3cr3t", "default", 1),
    ("", "", 0),
    ("ü-secret", "accuracy", 2**64 - 1),
    ("x" * 300, "m" * 200, 2**35 + 17),
])
def test_report_bytes_parse_as_the_generated_message(kind, value, secret, name, report_id):
    raw = _wire.encode_report(secret, kind, value, name, report_id)
    parsed = reporter_pb2.ReportRequest.FromString(raw)
    assert parsed.secret == secret
    assert parsed.kind == KINDS[kind]
    assert parsed.value == value and math.copysign(1, parsed.value) == math.copysign(1, value)
    assert parsed.metric_name == name
    assert parsed.report_id == report_id
    # Byte for byte what protobuf itself writes, so the Reporter sees nothing unusual.
    expected = reporter_pb2.ReportRequest(secret=secret, kind=KINDS[kind], value=value,
                                          metric_name=name, report_id=report_id)
    assert raw == expected.SerializeToString()


def test_nan_survives_the_encoding():
    raw = _wire.encode_report("s", "loss", math.nan, "default", 3)
    assert math.isnan(reporter_pb2.ReportRequest.FromString(raw).value)


@pytest.mark.parametrize("secret", ["", "abc", "é" * 100])
def test_should_stop_request(secret):
    raw = _wire.encode_should_stop(secret)
    assert raw == reporter_pb2.ShouldStopRequest(secret=secret).SerializeToString()


@pytest.mark.parametrize("stop", [True, False])
def test_responses_decode(stop):
    assert _wire.decode_should_stop(
        reporter_pb2.ReportResponse(should_stop=stop).SerializeToString()) is stop
    assert _wire.decode_should_stop(
        reporter_pb2.ShouldStopResponse(should_stop=stop).SerializeToString()) is stop


def test_unknown_fields_in_a_response_are_skipped():
    # A newer Reporter may add fields of any wire type around should_stop.
    extra = (b"\x12\x03abc"            # field 2, length-delimited
             b"\x19" + b"\x00" * 8 +   # field 3, fixed64
             b"\x25" + b"\x00" * 4 +   # field 4, fixed32
             b"\x28\x96\x01")          # field 5, varint 150
    assert _wire.decode_should_stop(b"\x08\x01" + extra) is True
    assert _wire.decode_should_stop(extra) is False


def test_a_truncated_response_is_an_error():
    with pytest.raises(ValueError, match="truncated"):
        _wire.decode_should_stop(b"\x08\x80")

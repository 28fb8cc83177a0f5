"""What report_* accept, what they send, and how they refuse bad values."""

import decimal
import math

import numpy
import pytest

from dlkit import _metric


@pytest.mark.parametrize("value,expected", [
    (0.93, 0.93),
    (3, 3.0),
    (numpy.float32(0.5), 0.5),
    (numpy.int64(7), 7.0),
    (numpy.array(0.25), 0.25),
    (decimal.Decimal("1.5"), 1.5),
])
def test_numbers_convert(value, expected):
    name, sent = _metric.resolve(value, "m")
    assert name == "default"
    assert isinstance(sent, float)
    assert sent == expected


def test_non_finite_values_pass_through():
    assert math.isnan(_metric.resolve(float("nan"), "m")[1])
    assert _metric.resolve(float("inf"), "m")[1] == math.inf
    assert _metric.resolve(float("-inf"), "m")[1] == -math.inf


@pytest.mark.parametrize("value,type_name", [
    ("0.9", "str"),
    (b"0.9", "bytes"),
    (None, "NoneType"),
    (True, "bool"),
    ([0.9], "list"),
    (1 + 2j, "complex"),
    (numpy.array([0.1, 0.2]), "ndarray"),
])
def test_bad_values_raise_type_error_naming_them(value, type_name):
    with pytest.raises(TypeError) as info:
        _metric.resolve(value, "report_final_result(metric)")
    message = str(info.value)
    assert "report_final_result(metric)" in message
    assert type_name in message


def test_dict_sends_default():
    assert _metric.resolve({"default": 0.8, "loss": 0.3}, "m") == ("default", 0.8)


def test_dict_prefers_objective_metric(monkeypatch):
    monkeypatch.setenv(_metric.OBJECTIVE_ENV, "accuracy")
    assert _metric.resolve({"default": 0.8, "accuracy": 0.7}, "m") == ("accuracy", 0.7)
    # Objective named but absent from the dict: default is still the objective value.
    assert _metric.resolve({"default": 0.8}, "m") == ("default", 0.8)


def test_dict_without_default_raises_value_error_listing_keys(monkeypatch):
    with pytest.raises(ValueError) as info:
        _metric.resolve({"acc": 0.9, "loss": 0.1}, "report_intermediate_result(metric)")
    message = str(info.value)
    assert "'default'" in message and "['acc', 'loss']" in message
    monkeypatch.setenv(_metric.OBJECTIVE_ENV, "f1")
    with pytest.raises(ValueError, match="'f1'"):
        _metric.resolve({"acc": 0.9}, "m")


def test_dict_with_bad_default_names_the_key():
    with pytest.raises(TypeError, match=r"m\['default'\] must be a number, got str"):
        _metric.resolve({"default": "high"}, "m")


@pytest.mark.parametrize("value,text", [
    (0.93, "0.93"), (1.0, "1.0"), (1e-07, "1e-07"), (float("nan"), "nan"),
    (float("-inf"), "-inf"),
])
def test_printed_values_round_trip(value, text):
    assert _metric.format_value(value) == text
    if not math.isnan(value):
        assert float(text) == value

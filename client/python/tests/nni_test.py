"""`import nni` inside a trial serves NNI's trial API through dlkit."""

import argparse

import pytest

import nni
from conftest import PARAMS, SECRET
from nni.utils import merge_parameter


def test_nni_trial_api_reaches_the_reporter(reporter):
    assert nni.get_next_parameter() == PARAMS
    assert nni.get_current_parameter("lr") == PARAMS["lr"]
    assert nni.get_trial_id() == "trial-7"
    assert nni.get_experiment_id() == "exp-1"
    assert nni.get_sequence_id() == 6
    nni.report_intermediate_result({"default": 0.4, "val_loss": 1.0})
    nni.report_final_result(0.6)
    assert reporter.fake.kinds_and_values() == [
        ("INTERMEDIATE", 0.4, "default"),
        ("FINAL", 0.6, "default"),
    ]
    assert set(reporter.fake.secrets) == {SECRET}


def test_nni_rejects_dict_without_default(reporter):
    with pytest.raises(ValueError, match="'default'"):
        nni.report_final_result({"acc": 1.0})


def test_merge_parameter_on_namespace_and_dict():
    args = argparse.Namespace(lr=0.1, epochs=10, act="relu")
    merged = merge_parameter(args, {"lr": 1, "act": "tanh"})
    assert merged is args and args.lr == 1.0 and type(args.lr) is float and args.act == "tanh"
    assert merge_parameter({"a": 1}, None) == {"a": 1}
    with pytest.raises(ValueError, match="Key 'nope' not found"):
        merge_parameter({"a": 1}, {"nope": 2})
    with pytest.raises(ValueError, match='"epochs".*int.*str'):
        merge_parameter(args, {"epochs": "ten"})

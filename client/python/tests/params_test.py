"""Parameters from the Reporter's proto and, outside an experiment, from a file or env."""

import json

import pytest

from dlkit import _params
from fake_reporter import to_parameter_set
from dlkit.v1 import types_pb2


def test_proto_values_keep_their_python_types():
    params = _params.from_proto(to_parameter_set({
        "lr": 0.1, "epochs": 3, "act": "relu", "bn": False, "whole": 2.0,
        "model": {"_name": "resnet", "depth": 18, "head": {"_name": "mlp", "width": 0.5}},
    }))
    assert params == {
        "lr": 0.1, "epochs": 3, "act": "relu", "bn": False, "whole": 2.0,
        "model": {"_name": "resnet", "depth": 18, "head": {"_name": "mlp", "width": 0.5}},
    }
    assert type(params["epochs"]) is int
    assert type(params["whole"]) is float  # a double stays float even when integral
    assert type(params["bn"]) is bool
    assert list(params["model"]) == ["_name", "depth", "head"]  # _name first


def test_unset_value_is_none():
    proto = types_pb2.ParameterSet()
    proto.values["nothing"].SetInParent()
    assert _params.from_proto(proto) == {"nothing": None}


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    return str(path)


def test_flag_with_separate_value(tmp_path):
    path = write(tmp_path, "p.json", '{"lr": 0.5, "layers": 2}')
    argv = ["train.py", "--epochs", "3", "--dlkit-params", path]
    assert _params.standalone(argv, {}) == {"lr": 0.5, "layers": 2}


def test_flag_with_equals(tmp_path):
    path = write(tmp_path, "p.json", '{"lr": 0.25}')
    assert _params.standalone(["t.py", "--dlkit-params=" + path], {}) == {"lr": 0.25}


def test_flag_beats_env_which_beats_file_env(tmp_path):
    flag_file = write(tmp_path, "flag.json", '{"from": "flag"}')
    env_file = write(tmp_path, "env.json", '{"from": "file-env"}')
    env = {"DLKIT_PARAMS": '{"from": "env"}', "DLKIT_PARAMS_FILE": env_file}
    assert _params.standalone(["t", "--dlkit-params", flag_file], env) == {"from": "flag"}
    assert _params.standalone(["t"], env) == {"from": "env"}
    del env["DLKIT_PARAMS"]
    assert _params.standalone(["t"], env) == {"from": "file-env"}
    assert _params.standalone(["t"], {}) == {}


def test_flag_in_argv0_position_is_not_a_flag():
    assert _params.standalone(["--dlkit-params"], {}) == {}


def test_flag_without_value_is_an_error():
    with pytest.raises(ValueError, match="--dlkit-params needs a FILE"):
        _params.standalone(["t.py", "--dlkit-params"], {})


def test_missing_file_names_the_path(tmp_path):
    missing = str(tmp_path / "nope.json")
    with pytest.raises(ValueError) as info:
        _params.standalone(["t.py", "--dlkit-params", missing], {})
    assert missing in str(info.value)


def test_bad_json_and_non_objects_are_errors(tmp_path):
    with pytest.raises(ValueError, match=r"\$DLKIT_PARAMS are not valid JSON"):
        _params.standalone(["t"], {"DLKIT_PARAMS": "{lr: 1}"})
    path = write(tmp_path, "list.json", json.dumps([1, 2]))
    with pytest.raises(ValueError, match="must be a JSON object, got list"):
        _params.standalone(["t", "--dlkit-params", path], {})

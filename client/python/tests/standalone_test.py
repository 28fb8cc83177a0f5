"""The SDK outside an experiment: parameters from argv/env, reports printed exactly."""

import sys

import dlkit


def test_reports_print_exact_lines(capsys):
    dlkit.report_intermediate_result(0.93)
    dlkit.report_loss(0.12)
    dlkit.report_final_result(0.95)
    dlkit.report_intermediate_result({"default": 1, "other": 5})
    dlkit.report_loss(float("nan"))
    assert capsys.readouterr().out.splitlines() == [
        "[dlkit] intermediate_result: 0.93",
        "[dlkit] loss: 0.12",
        "[dlkit] final_result: 0.95",
        "[dlkit] intermediate_result: 1.0",
        "[dlkit] loss: nan",
    ]


def test_bad_metric_raises_and_prints_nothing(capsys):
    try:
        dlkit.report_intermediate_result("high")
    except TypeError as err:
        assert "report_intermediate_result(metric) must be a number, got str 'high'" in str(err)
    else:
        raise AssertionError("no TypeError")
    assert capsys.readouterr().out == ""


def test_no_parameters_anywhere_gives_empty_dict():
    assert dlkit.get_parameter() == {}
    assert dlkit.should_stop() is False


def test_params_file_flag_is_read_and_argv_kept(tmp_path, monkeypatch):
    path = tmp_path / "params.json"
    path.write_text('{"lr": 0.01, "model": {"_name": "mlp", "width": 128}}')
    argv = ["train.py", "--dlkit-params", str(path), "--epochs", "2"]
    monkeypatch.setattr(sys, "argv", list(argv))
    monkeypatch.setenv("DLKIT_PARAMS", '{"lr": 99}')  # the flag wins
    assert dlkit.get_parameter() == {"lr": 0.01, "model": {"_name": "mlp", "width": 128}}
    assert sys.argv == argv


def test_params_env_json(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["train.py"])
    monkeypatch.setenv("DLKIT_PARAMS", '{"batch_size": 32, "act": "relu", "bn": true}')
    params = dlkit.get_next_parameter()
    assert params == {"batch_size": 32, "act": "relu", "bn": True}
    assert type(params["batch_size"]) is int
    assert dlkit.get_current_parameter("act") == "relu"


def test_params_file_env(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["train.py"])
    path = tmp_path / "p.json"
    path.write_text('{"momentum": 0.9}')
    monkeypatch.setenv("DLKIT_PARAMS_FILE", str(path))
    assert dlkit.get_parameter() == {"momentum": 0.9}


def test_ids_outside_an_experiment():
    assert dlkit.get_trial_id() == "STANDALONE"
    assert dlkit.get_experiment_id() == "STANDALONE"
    assert dlkit.get_sequence_id() == 0


def test_no_grpc_import_needed(monkeypatch, capsys):
    # A plain script outside an experiment must not need the generated stubs or grpc.
    monkeypatch.setitem(sys.modules, "grpc", None)
    monkeypatch.setitem(sys.modules, "dlkit.v1.reporter_pb2", None)
    dlkit.report_final_result(0.5)
    assert dlkit.get_parameter() == {}
    assert capsys.readouterr().out == "[dlkit] final_result: 0.5\n"

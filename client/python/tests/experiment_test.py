"""The SDK inside an experiment, against a real gRPC ReporterService on a unix socket."""

import math
import os
import threading

import pytest

import dlkit
from conftest import PARAMS, SECRET
from fake_reporter import short_temp_dir
from dlkit import _runtime


def test_parameters_arrive_with_types_and_nesting(reporter):
    params = dlkit.get_parameter()
    assert params == PARAMS
    assert type(params["batch_size"]) is int
    assert type(params["lr"]) is float
    assert type(params["use_bn"]) is bool
    assert params["model"]["_name"] == "cnn"
    assert type(params["model"]["channels"]) is int


def test_parameters_are_fetched_once_and_copies_are_independent(reporter):
    first = dlkit.get_parameter()
    first["model"]["channels"] = -1
    assert dlkit.get_next_parameter() == PARAMS
    assert dlkit.get_current_parameter() == PARAMS
    assert dlkit.get_current_parameter("optimizer") == "adam"
    assert reporter.fake.calls == {"GetParameters": 1}


def test_concurrent_first_calls_fetch_once(reporter):
    results = []

    def fetch():
        results.append(dlkit.get_parameter())

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [PARAMS] * 8
    # Racing first calls may each ask, but all of them see one cached answer afterwards.
    asked = reporter.fake.calls["GetParameters"]
    dlkit.get_parameter()
    assert reporter.fake.calls["GetParameters"] == asked


def test_all_reports_arrive_with_secret_and_kind(reporter):
    dlkit.report_intermediate_result(0.5)
    dlkit.report_loss(1.25)
    dlkit.report_intermediate_result(0.75)
    dlkit.report_loss(0.5)
    dlkit.report_final_result(0.8)
    assert reporter.fake.kinds_and_values() == [
        ("INTERMEDIATE", 0.5, "default"),
        ("LOSS", 1.25, "default"),
        ("INTERMEDIATE", 0.75, "default"),
        ("LOSS", 0.5, "default"),
        ("FINAL", 0.8, "default"),
    ]
    assert reporter.fake.secrets == [SECRET] * 5


def test_dict_metrics_send_default_or_objective(reporter, monkeypatch):
    dlkit.report_intermediate_result({"default": 0.61, "loss": 2.0})
    monkeypatch.setenv("DLKIT_OBJECTIVE_METRIC", "top1")
    dlkit.report_final_result({"default": 0.7, "top1": 0.9})
    assert reporter.fake.kinds_and_values() == [
        ("INTERMEDIATE", 0.61, "default"),
        ("FINAL", 0.9, "top1"),
    ]


def test_nan_is_sent(reporter):
    dlkit.report_loss(float("nan"))
    (kind, value, _), = reporter.fake.kinds_and_values()
    assert kind == "LOSS" and math.isnan(value)


@pytest.mark.parametrize("bad,error", [
    ("0.9", TypeError), (None, TypeError), (False, TypeError), ({"acc": 0.9}, ValueError),
])
def test_bad_metrics_raise_and_send_nothing(reporter, bad, error):
    with pytest.raises(error, match=r"report_final_result\(metric\)"):
        dlkit.report_final_result(bad)
    with pytest.raises(error, match=r"report_loss\(loss\)"):
        dlkit.report_loss(bad)
    assert reporter.fake.kinds_and_values() == []


def test_should_stop_flips_after_n_reports_and_stays(start_reporter):
    server = start_reporter(stop_after=3)
    seen = []
    for step in range(5):
        seen.append(dlkit.should_stop())
        dlkit.report_intermediate_result(step / 10)
    seen.append(dlkit.should_stop())
    assert seen == [False, False, False, True, True, True]
    asks = server.fake.calls["ShouldStop"]
    # After the third report the answer came with the ReportResponse: no more asking.
    assert asks == 3


def test_should_stop_asks_the_reporter_without_reports(start_reporter):
    server = start_reporter(stop_after=0)
    assert dlkit.should_stop() is True
    assert server.fake.calls == {"ShouldStop": 1}


def test_ids_come_from_env_without_a_call(reporter):
    assert dlkit.get_trial_id() == "trial-7"
    assert dlkit.get_experiment_id() == "exp-1"
    assert dlkit.get_sequence_id() == 6
    assert reporter.fake.calls == {}


def test_ids_fall_back_to_the_reporter(start_reporter, monkeypatch):
    start_reporter(trial_id="t-42", experiment_id="e-9", sequence=41)
    for key in ("DLKIT_TRIAL_ID", "DLKIT_EXPERIMENT_ID", "DLKIT_TRIAL_SEQUENCE"):
        monkeypatch.delenv(key)
    assert dlkit.get_trial_id() == "t-42"
    assert dlkit.get_experiment_id() == "e-9"
    assert dlkit.get_sequence_id() == 41


def test_unavailable_is_retried(start_reporter):
    server = start_reporter(unavailable_first=2)
    dlkit.report_final_result(0.5)
    assert server.fake.calls["Report"] == 3
    assert server.fake.kinds_and_values() == [("FINAL", 0.5, "default")]


def test_wrong_secret_is_a_reporter_error(reporter, monkeypatch):
    monkeypatch.setenv("DLKIT_TRIAL_SECRET", "someone-elses")
    with pytest.raises(dlkit.ReporterError) as info:
        dlkit.report_final_result(0.5)
    assert "PERMISSION_DENIED" in str(info.value)
    assert reporter.fake.calls == {"Report": 1}  # refusals are not retried


def test_unreachable_reporter_gives_up_with_its_address():
    # A short folder: unix socket paths are limited to 107 bytes.
    address = "unix://" + os.path.join(short_temp_dir(), "gone.sock")
    runtime = _runtime.GrpcRuntime(address, SECRET, {}, timeout=2.0, retries=2, backoff=0.01)
    with pytest.raises(dlkit.ReporterError) as info:
        runtime.report(_runtime.FINAL, "default", 1.0)
    assert "UNAVAILABLE" in str(info.value) and address in str(info.value)
    runtime.close()


def test_parameters_given_by_the_reporter_need_no_call(reporter, monkeypatch):
    # The Reporter puts the parameters in the trial's environment: reading them is free.
    monkeypatch.setenv(_runtime.PARAMETERS_ENV,
                       '{"lr": 0.5, "layers": 3, "model": {"_name": "mlp", "width": 2.0}}')
    dlkit._reset()
    params = dlkit.get_parameter()
    assert params == {"lr": 0.5, "layers": 3, "model": {"_name": "mlp", "width": 2.0}}
    assert type(params["layers"]) is int and type(params["model"]["width"]) is float
    assert "GetParameters" not in reporter.fake.calls
    dlkit.report_final_result(0.9)  # reports still go to the Reporter
    assert reporter.fake.kinds_and_values() == [("FINAL", 0.9, "default")]

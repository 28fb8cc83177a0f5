"""Only rank 0 of a distributed trial reports: the other replicas' SDK calls are no-ops."""

import json

import pytest

import dlkit
from conftest import PARAMS


@pytest.fixture(autouse=True)
def no_rank(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)


def test_dlkit_report_0_sends_nothing_but_reads_parameters(reporter, monkeypatch, capsys):
    monkeypatch.setenv("DLKIT_REPORT", "0")
    monkeypatch.setenv("DLKIT_TRIAL_PARAMETERS", json.dumps(PARAMS))
    assert dlkit.get_parameter() == PARAMS
    dlkit.report_intermediate_result(0.5)
    dlkit.report_loss(1.0)
    dlkit.report_final_result(0.9)
    assert dlkit.should_stop() is False
    assert reporter.fake.kinds_and_values() == []
    assert capsys.readouterr().out == ""  # not even printed: rank 0 prints its own


def test_rank_other_than_0_is_silent(reporter, monkeypatch):
    monkeypatch.setenv("RANK", "3")
    dlkit.report_final_result(0.9)
    assert reporter.fake.kinds_and_values() == []


def test_rank_0_reports(reporter, monkeypatch):
    monkeypatch.setenv("RANK", "0")
    dlkit.report_final_result(0.9)
    assert reporter.fake.kinds_and_values() == [("FINAL", 0.9, "default")]


def test_silent_replica_without_parameters_env_falls_back_to_standalone(monkeypatch):
    monkeypatch.setenv("DLKIT_REPORT", "0")
    monkeypatch.setenv("DLKIT_PARAMS", '{"lr": 0.5}')
    assert dlkit.get_parameter() == {"lr": 0.5}

"""Ask/tell: the Python client's Study against the real daemon, trials stored like others."""

import pytest

import dlkit
import e2e


def test_study_asks_and_tells_until_max_trials(daemon: e2e.Daemon) -> None:
    study = dlkit.Study.create(
        {"x": {"_type": "uniform", "_value": [-1.0, 1.0]},
         "opt": {"_type": "choice", "_value": [{"_name": "sgd"},
                                              {"_name": "adam", "beta": {"_type": "uniform",
                                                                         "_value": [0.5, 0.9]}}]}},
        tuner="TPE", tuner_args={"seed": 3, "n_startup_jobs": 5}, direction="minimize",
        max_trials=12, name="asktell", address=daemon.address, token=daemon.token)
    told = {}
    for _ in range(12):
        trial = study.ask()
        assert -1.0 <= trial.params["x"] <= 1.0, trial
        assert trial.params["opt"]["_name"] in ("sgd", "adam"), trial
        value = (trial.params["x"] - 0.25) ** 2
        assert trial.report(value + 1.0) is False  # no assessor: never asked to stop
        assert study.tell(trial, value) == "SUCCEEDED"
        told[trial.id] = value
    with pytest.raises(dlkit.StudyError, match="OUT_OF_RANGE"):
        study.ask()
    status = daemon.wait_status(study.id, ["DONE", "FAILED", "STOPPED"], 30)
    assert status["status"] == "DONE", status
    trials = daemon.trials(study.id)
    assert {t["id"]: t["final"] for t in trials} == pytest.approx(told)
    for t in trials:
        assert t["status"] == "SUCCEEDED" and t["intermediate"] == [pytest.approx(
            told[t["id"]] + 1.0)], t
    best = study.best()
    assert best["value"] == pytest.approx(min(told.values()))
    study.close()


def test_an_assessor_stops_a_bad_asked_trial(daemon: e2e.Daemon) -> None:
    study = dlkit.Study.create({"x": {"_type": "uniform", "_value": [0.0, 1.0]}},
                               tuner="Random", assessor="Medianstop",
                               assessor_args={"optimize_mode": "maximize", "start_step": 2},
                               address=daemon.address, token=daemon.token)
    good = study.ask()
    for _ in range(5):
        good.report(0.9)
    assert study.tell(good, 0.9) == "SUCCEEDED"
    bad = study.ask()
    stopped = False
    for _ in range(40):  # the assessor answers asynchronously: on a later report
        if bad.report(0.1):
            stopped = True
            break
    assert stopped, "the assessor never asked the bad trial to stop"
    assert study.tell(bad, 0.1) == "EARLY_STOPPED"


def test_bad_study_arguments_are_named() -> None:
    with pytest.raises(ValueError, match=r"search_space.x._type: unknown type 'uniformm'"):
        dlkit.Study.create({"x": {"_type": "uniformm", "_value": [0, 1]}}, address="127.0.0.1:1")
    with pytest.raises(ValueError, match="direction"):
        dlkit.Study.create({"x": {"_type": "uniform", "_value": [0, 1]}}, direction="up",
                           address="127.0.0.1:1")
    with pytest.raises(ValueError, match="lease"):
        dlkit.Study.create({"x": {"_type": "uniform", "_value": [0, 1]}}, lease=0,
                           address="127.0.0.1:1")


def test_an_ask_retried_with_its_request_id_gets_the_same_trial(daemon: e2e.Daemon) -> None:
    from dlkit.v1 import manager_pb2
    study = dlkit.Study.create({"x": {"_type": "uniform", "_value": [0.0, 1.0]}},
                               tuner="Random", address=daemon.address, token=daemon.token)
    request = manager_pb2.AskTrialsRequest(experiment_id=study.id, count=1, request_id="ask-1")
    first = study._manager.AskTrials(request, timeout=30).trials  # pylint: disable=protected-access
    again = study._manager.AskTrials(request, timeout=30).trials  # pylint: disable=protected-access
    assert [t.id for t in again] == [t.id for t in first] and len(first) == 1
    assert len(daemon.trials(study.id)) == 1
    assert study.ask().id != first[0].id  # the Study's own asks each get a new id
    assert len(daemon.trials(study.id)) == 2
    study.close()


def test_a_silent_worker_loses_its_trial_and_a_beating_one_keeps_it(daemon: e2e.Daemon) -> None:
    import time
    study = dlkit.Study.create({"x": {"_type": "uniform", "_value": [0.0, 1.0]}},
                               tuner="Random", lease=1.0, address=daemon.address, token=daemon.token)
    alive, silent = study.ask(), study.ask()
    deadline = time.monotonic() + 3.0  # three leases
    while time.monotonic() < deadline:
        assert alive.heartbeat() is False
        time.sleep(0.25)
    trials = {t["id"]: t for t in daemon.trials(study.id)}
    assert trials[silent.id]["status"] == "FAILED", trials
    assert "worker lost: no report or heartbeat for 1s" in trials[silent.id]["reason"], trials
    assert trials[alive.id]["status"] == "RUNNING", trials
    with pytest.raises(dlkit.StudyError, match="FAILED_PRECONDITION.*worker lost"):
        silent.heartbeat()
    assert study.tell(alive, 0.5) == "SUCCEEDED"
    study.close()

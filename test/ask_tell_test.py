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
        max_trials=12, name="asktell", address=daemon.address)
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
                               address=daemon.address)
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

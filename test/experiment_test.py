"""A normal experiment end to end: SDK trials at concurrency 2, a crashing trial, a trial
without the SDK, and export."""

import csv
import io
import json
import math
import os
from typing import Any, Dict, List

import pytest

import e2e
from e2e import objective

SPACE = {
    "lr": {"_type": "loguniform", "_value": [0.0001, 0.1]},
    "epochs": {"_type": "randint", "_value": [2, 5]},
    "batch": {"_type": "choice", "_value": [16, 32, 64]},
    "dropout": {"_type": "quniform", "_value": [0.1, 0.5, 0.1]},
    "opt": {"_type": "choice", "_value": [
        {"_name": "sgd", "momentum": {"_type": "uniform", "_value": [0.5, 0.99]}},
        {"_name": "adam"},
    ]},
}


class Run:
    """The 10-trial experiment, run once for the module's tests."""

    def __init__(self, experiment_id: str, status: Dict[str, Any], trials: List[Dict[str, Any]],
                 records: Dict[str, Dict[str, Any]], max_running_seen: int) -> None:
        self.id = experiment_id
        self.status = status
        self.trials = trials
        self.records = records
        self.max_running_seen = max_running_seen


@pytest.fixture(scope="module")
def ten_trials(daemon: e2e.Daemon, workdir: str) -> Run:
    records = daemon.record_dir(workdir, "ten_records")
    config = e2e.write_config(workdir, "ten.json", {
        "experimentName": "ten-trials",
        "searchSpace": SPACE,
        "trialCommand": "%s sdk_trial.py --record %s" % (e2e.PYTHON, records),
        "trialConcurrency": 2,
        "maxTrialNumber": 10,
        "tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize"}},
        "seed": 7,
    })
    experiment_id = daemon.submit(config)
    seen = {"running": 0}

    def note(status: Dict[str, Any]) -> None:
        seen["running"] = max(seen["running"], status["trials"]["running"])

    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 120, note)
    return Run(experiment_id, status, daemon.trials(experiment_id), e2e.read_records(records),
               seen["running"])


def test_ends_done_with_ten_succeeded_trials(ten_trials: Run) -> None:
    status = ten_trials.status
    assert status["status"] == "DONE", status
    assert "maxTrialNumber" in status["reason"], status
    assert status["trials"]["succeeded"] == 10, status
    assert len(ten_trials.trials) == 10
    assert sorted(t["index"] for t in ten_trials.trials) == list(range(1, 11))
    assert len({t["id"] for t in ten_trials.trials}) == 10
    for trial in ten_trials.trials:
        assert trial["status"] == "SUCCEEDED", trial
        assert trial["exit_code"] == 0, trial
    # Every trial ran as its own process and saw its own parameters.
    assert set(ten_trials.records) == {t["id"] for t in ten_trials.trials}
    for trial in ten_trials.trials:
        assert ten_trials.records[trial["id"]]["params"] == trial["parameters"]


def test_parameters_lie_in_the_space(ten_trials: Run) -> None:
    for trial in ten_trials.trials:
        p = trial["parameters"]
        assert set(p) == {"lr", "epochs", "batch", "dropout", "opt"}, p
        assert isinstance(p["lr"], float) and 1e-4 <= p["lr"] <= 0.1, p
        assert type(p["epochs"]) is int and 2 <= p["epochs"] < 5, p
        assert type(p["batch"]) is int and p["batch"] in (16, 32, 64), p
        assert 0.1 - 1e-12 <= p["dropout"] <= 0.5 + 1e-12, p
        steps = p["dropout"] / 0.1
        assert math.isclose(steps, round(steps), abs_tol=1e-9), p
        opt = p["opt"]
        assert isinstance(opt, dict), p
        if opt["_name"] == "sgd":
            assert set(opt) == {"_name", "momentum"}, p
            assert isinstance(opt["momentum"], float) and 0.5 <= opt["momentum"] <= 0.99, p
        else:
            assert opt == {"_name": "adam"}, p
    # Random proposals: ten distinct points, not one repeated.
    assert len({json.dumps(t["parameters"], sort_keys=True) for t in ten_trials.trials}) == 10


def test_metric_series_are_exactly_what_each_trial_reported(ten_trials: Run) -> None:
    for trial in ten_trials.trials:
        p = trial["parameters"]
        n = objective.epochs(p)
        assert trial["intermediate"] == [objective.intermediate(p, e) for e in range(n)], trial
        assert trial["loss"] == [objective.loss(p, e) for e in range(n)], trial
        assert trial["final"] == objective.final(p), trial


def test_best_is_the_largest_final(ten_trials: Run) -> None:
    best = max(ten_trials.trials, key=lambda t: t["final"])
    assert ten_trials.status["best"] == {"trial_id": best["id"], "value": best["final"]}


def test_never_more_than_two_trials_at_once(daemon: e2e.Daemon, ten_trials: Run) -> None:
    assert ten_trials.max_running_seen <= 2
    # The daemon's own RUNNING windows (full-precision timestamps over gRPC).
    stored = daemon.rpc_trials(ten_trials.id)
    assert len(stored) == 10
    windows = [(e2e.seconds(t.started), e2e.seconds(t.ended)) for t in stored]
    for start, end in windows:
        assert 0 < start <= end, windows
    assert e2e.max_overlap(windows) == 2, windows  # the 2 slots were used, never 3
    # What the trial processes themselves lived through.
    lived = [(r["start"], r["end"]) for r in ten_trials.records.values()]
    assert len(lived) == 10
    assert e2e.max_overlap(lived) <= 2, lived


def test_every_transition_is_stored_with_its_time(daemon: e2e.Daemon, ten_trials: Run) -> None:
    for trial in daemon.rpc_trials(ten_trials.id):
        states = [change.state for change in trial.history]
        assert states[0] == "WAITING" and states[-1] == "SUCCEEDED", trial.history
        assert "RUNNING" in states, trial.history
        times = [e2e.seconds(change.time) for change in trial.history]
        assert times == sorted(times) and times[0] > 0, trial.history
        assert trial.history[-1].reason == trial.reason == "exited with code 0", trial.history


def test_trials_json_timestamps_keep_subsecond_precision(ten_trials: Run) -> None:
    # Machine-readable output must allow ordering trials that start within one second.
    # dlctl prints "2026-01-01T10:00:00Z" (whole seconds): overlaps cannot be checked from it.
    for trial in ten_trials.trials:
        assert "." in trial["started"] and "." in trial["ended"], trial


def test_export_csv_has_one_row_per_trial_with_parameter_columns(
        daemon: e2e.Daemon, ten_trials: Run, workdir: str) -> None:
    text = daemon.dlctl("export", ten_trials.id, "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 10
    header = list(rows[0].keys())
    for column in ("id", "index", "status", "lr", "epochs", "batch", "dropout", "opt/_name",
                   "opt/momentum", "final"):
        assert column in header, header
    by_id = {t["id"]: t for t in ten_trials.trials}
    assert {r["id"] for r in rows} == set(by_id)
    for row in rows:
        trial = by_id[row["id"]]
        p = trial["parameters"]
        assert int(row["index"]) == trial["index"]
        assert row["status"] == "SUCCEEDED"
        assert float(row["lr"]) == p["lr"]
        assert int(row["epochs"]) == p["epochs"]
        assert int(row["batch"]) == p["batch"]
        assert row["opt/_name"] == p["opt"]["_name"]
        if "momentum" in p["opt"]:
            assert float(row["opt/momentum"]) == p["opt"]["momentum"]
        else:
            assert row["opt/momentum"] == ""
        assert float(row["final"]) == trial["final"]
    # --file writes the same text.
    path = os.path.join(workdir, "export.csv")
    daemon.dlctl("export", ten_trials.id, "--format", "csv", "--file", path)
    with open(path) as f:
        assert f.read() == text


def test_export_json_parses_and_matches_the_trials(daemon: e2e.Daemon, ten_trials: Run) -> None:
    exported = json.loads(daemon.dlctl("export", ten_trials.id, "--format", "json").stdout)
    assert isinstance(exported, list) and len(exported) == 10
    by_id = {t["id"]: t for t in ten_trials.trials}
    for item in exported:
        trial = by_id[item["id"]]
        assert item["parameters"] == trial["parameters"]
        assert item["final"] == trial["final"]
        assert item["intermediate"] == trial["intermediate"]
        assert item["status"] == "SUCCEEDED"


# --- a crashing trial -------------------------------------------------------------------------

def test_crashing_trial_fails_with_its_exit_code_and_log(daemon: e2e.Daemon, workdir: str) -> None:
    config = e2e.write_config(workdir, "crash.json", {
        "searchSpace": {
            "mode": {"_type": "choice", "_value": ["ok", "crash"]},
            "epochs": {"_type": "choice", "_value": [2, 3]},
        },
        "trialCommand": "%s sdk_trial.py --sleep 0" % e2e.PYTHON,
        "trialConcurrency": 2,
        "maxTrialNumber": 10,
        "tuner": {"name": "GridSearch"},
    })
    experiment_id = daemon.submit(config)
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 90)
    # Failures do not end the experiment: every point of the grid ran.
    assert status["status"] == "DONE", status
    trials = daemon.trials(experiment_id)
    assert len(trials) == 4, trials
    crashed = [t for t in trials if t["parameters"]["mode"] == "crash"]
    fine = [t for t in trials if t["parameters"]["mode"] == "ok"]
    assert len(crashed) == 2 and len(fine) == 2, trials
    for trial in fine:
        assert trial["status"] == "SUCCEEDED", trial
        assert trial["final"] == objective.final(trial["parameters"]), trial
    for trial in crashed:
        assert trial["status"] == "FAILED", trial
        assert trial["exit_code"] == 3, trial
        assert trial["final"] is None and trial["intermediate"] == [], trial
        assert "3" in trial["reason"], trial
        stored = daemon.rpc_trial(experiment_id, trial["id"])
        assert "RuntimeError: boom: simulated crash" in stored.log_tail, stored.log_tail
        assert "Traceback (most recent call last)" in stored.log_tail, stored.log_tail
        # `dlctl logs` prints the trial's output, by id and by index.
        for ref in (trial["id"], str(trial["index"])):
            log = daemon.dlctl("logs", experiment_id, ref).stdout
            assert "trial starts with" in log, log
            assert "Traceback (most recent call last)" in log, log
            assert "RuntimeError: boom: simulated crash in the training loop" in log, log
    assert status["trials"]["failed"] == 2 and status["trials"]["succeeded"] == 2, status


# --- a trial without the SDK ------------------------------------------------------------------

def test_trial_printing_dlkit_lines_gets_its_metrics(daemon: e2e.Daemon, workdir: str) -> None:
    config = e2e.write_config(workdir, "stdout.json", {
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "sh stdout_trial.sh",
        "trialConcurrency": 1,
        "maxTrialNumber": 1,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "DONE", status
    [trial] = daemon.trials(experiment_id)
    assert trial["status"] == "SUCCEEDED", trial
    assert trial["final"] == 0.5, trial
    # Only "[dlkit] KIND: VALUE" lines of known kinds count.
    assert trial["intermediate"] == [0.25, 0.375], trial
    assert trial["loss"] == [0.75, 0.625], trial
    assert status["best"]["value"] == 0.5, status
    log = daemon.dlctl("logs", experiment_id, trial["id"]).stdout
    assert "[dlkit] final_result: 0.5" in log and "finished" in log, log

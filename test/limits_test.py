"""How experiments end: maxFailedTrials, an exhausted grid, and an NNI experiment brought
as-is (YAML config, searchSpaceFile, `import nni`)."""

import itertools
import json
import os
import shutil
import textwrap

import e2e
from e2e import objective


def test_max_failed_trials_ends_the_experiment_failed(daemon: e2e.Daemon, workdir: str) -> None:
    config = e2e.write_config(workdir, "fail.json", {
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "echo failing on purpose; exit 1",
        "trialConcurrency": 2,
        "maxTrialNumber": 30,
        "maxFailedTrials": 3,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "FAILED", status
    assert "maxFailedTrials" in status["reason"], status
    assert status["ended"], status
    trials = daemon.trials(experiment_id)
    # The limit, plus at most the trials already running when it was reached.
    assert 3 <= len(trials) <= 3 + 2, trials
    failed = [t for t in trials if t["status"] == "FAILED"]
    assert len(failed) >= 3, trials
    for trial in failed:
        assert trial["exit_code"] == 1, trial
    for trial in trials:
        assert trial["status"] in ("FAILED", "KILLED"), trial
    # Nothing more starts afterwards.
    again = daemon.status(experiment_id)
    assert again["status"] == "FAILED" and len(daemon.trials(experiment_id)) == len(trials)


def test_grid_search_runs_each_point_once_then_reports_exhaustion(
        daemon: e2e.Daemon, workdir: str) -> None:
    config = e2e.write_config(workdir, "grid.json", {
        "searchSpace": {
            "opt": {"_type": "choice", "_value": ["sgd", "adam", "rmsprop"]},
            "layers": {"_type": "randint", "_value": [1, 4]},
        },
        "trialCommand": "%s sdk_trial.py --sleep 0" % e2e.PYTHON,
        "trialConcurrency": 2,
        "maxTrialNumber": 100,
        "tuner": {"name": "GridSearch"},
    })
    experiment_id = daemon.submit(config)
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 90)
    assert status["status"] == "DONE", status
    assert "search space is exhausted" in status["reason"], status
    trials = daemon.trials(experiment_id)
    points = [(t["parameters"]["opt"], t["parameters"]["layers"]) for t in trials]
    expected = set(itertools.product(["sgd", "adam", "rmsprop"], [1, 2, 3]))
    assert len(points) == len(expected), points  # each point once
    assert set(points) == expected, points
    for trial in trials:
        assert type(trial["parameters"]["layers"]) is int, trial
        assert trial["status"] == "SUCCEEDED", trial
        assert trial["final"] == objective.final(trial["parameters"]), trial
    assert status["trials"]["succeeded"] == 9, status


def test_nni_experiment_runs_unchanged(daemon: e2e.Daemon, workdir: str) -> None:
    # An NNI user's folder: config.yml, search_space.json and the trial code side by side.
    folder = os.path.join(workdir, "nni_project")
    os.makedirs(folder)
    for name in ("nni_trial.py", "objective.py"):
        shutil.copy(os.path.join(e2e.TRIALS_DIR, name), folder)
    with open(os.path.join(folder, "search_space.json"), "w") as f:
        json.dump({
            "lr": {"_type": "choice", "_value": [0.1, 0.01]},
            "units": {"_type": "choice", "_value": [16, 32]},
        }, f)
    with open(os.path.join(folder, "config.yml"), "w") as f:
        f.write(textwrap.dedent("""\
            experimentName: nni-style
            searchSpaceFile: search_space.json
            trialCommand: %s nni_trial.py
            trialCodeDirectory: .
            trialConcurrency: 2
            maxTrialNumber: 10
            maxExperimentDuration: 3m
            tuner:
              name: GridSearch
              classArgs:
                optimize_mode: maximize
            trainingService:
              platform: local
            """ % e2e.PYTHON))
    # Submitted from another folder: relative paths resolve against the config's folder.
    experiment_id = daemon.submit(os.path.join(folder, "config.yml"))
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 90)
    assert status["status"] == "DONE", status
    assert status["objective"]["direction"] == "maximize", status
    trials = daemon.trials(experiment_id)
    assert sorted((t["parameters"]["lr"], t["parameters"]["units"]) for t in trials) == \
        sorted(itertools.product([0.1, 0.01], [16, 32])), trials
    for trial in trials:
        p = trial["parameters"]
        assert trial["status"] == "SUCCEEDED", trial
        assert trial["final"] == objective.final(p), trial
        # Dict results: the "default" entry is the objective; "other" is not stored.
        assert trial["intermediate"] == [objective.intermediate(p, 0),
                                         objective.intermediate(p, 1)], trial
        log = daemon.dlctl("logs", experiment_id, trial["id"]).stdout
        assert "nni trial %s done" % trial["id"] in log, log
    best = max(trials, key=lambda t: t["final"])
    assert status["best"] == {"trial_id": best["id"], "value": best["final"]}, status


def test_medianstop_assessor_stops_a_bad_trial_early(daemon: e2e.Daemon, workdir: str) -> None:
    # GridSearch runs level 0.9 first, then 0.1; once the good trial has finished, the bad
    # one is below the median at every step and the assessor must stop it.
    config = e2e.write_config(workdir, "assessor.json", {
        "searchSpace": {"level": {"_type": "choice", "_value": [0.9, 0.1]}},
        "trialCommand": "%s curve_trial.py" % e2e.PYTHON,
        "trialConcurrency": 1,
        "maxTrialNumber": 2,
        "tuner": {"name": "GridSearch"},
        "assessor": {"name": "Medianstop", "classArgs": {"optimize_mode": "maximize",
                                                         "start_step": 2}},
    })
    experiment_id = daemon.submit(config)
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "DONE", status
    good, bad = daemon.trials(experiment_id)
    assert good["parameters"]["level"] == 0.9 and good["status"] == "SUCCEEDED", good
    assert len(good["intermediate"]) == 20, good
    assert bad["parameters"]["level"] == 0.1 and bad["status"] == "EARLY_STOPPED", bad
    # Stopped once it had start_step results (NNI's rule), its reports so far kept; it
    # stopped itself on should_stop() and exited cleanly.
    assert 2 <= len(bad["intermediate"]) < 20, bad
    assert bad["exit_code"] == 0, bad
    assert all(v == 0.1 for v in bad["intermediate"]), bad
    assert "Medianstop" in bad["reason"], bad

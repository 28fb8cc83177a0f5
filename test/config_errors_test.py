"""Bad configs: `dlctl submit` refuses each with a message naming the problem and its path,
and nothing is created on the daemon."""

import json
import os
from typing import Any, Dict, List

import pytest

import e2e

BASE: Dict[str, Any] = {
    "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
    "trialCommand": "true",
    "trialConcurrency": 1,
    "maxTrialNumber": 1,
    "tuner": {"name": "Random"},
}


def with_space(space: Dict[str, Any]) -> Dict[str, Any]:
    return dict(BASE, searchSpace=space)


def without(key: str) -> Dict[str, Any]:
    return {k: v for k, v in BASE.items() if k != key}


# name -> (config: a dict for JSON or the file's raw text, file name, message fragments)
CASES: Dict[str, Any] = {
    "unknown_key": (dict(BASE, trialConcurency=2), "c.json",
                    ["trialConcurency", "unknown key", 'did you mean "trialConcurrency"']),
    "unknown_nested_key": (dict(BASE, tuner={"name": "Random", "clasArgs": {}}), "c.json",
                           ["tuner.clasArgs", "classArgs"]),
    "bad_type": (with_space({"x": {"_type": "uniformm", "_value": [0, 1]}}), "c.json",
                 ["searchSpace.x._type", "uniformm", 'did you mean "uniform"']),
    "low_not_below_high": (with_space({"x": {"_type": "uniform", "_value": [1, 0]}}), "c.json",
                           ["searchSpace.x._value", "low", "high"]),
    "loguniform_not_positive": (with_space({"lr": {"_type": "loguniform", "_value": [0, 1]}}),
                                "c.json", ["searchSpace.lr"]),
    "missing_trial_command": (without("trialCommand"), "c.json", ["trialCommand", "required"]),
    "malformed_json": ('{\n  "trialCommand": "true",\n  "maxTrialNumber": 3,,\n}\n', "c.json",
                       ["invalid JSON", "line 3"]),
    "malformed_yaml": ("trialCommand: true\nsearchSpace:\n  x: {_type: uniform\n", "c.yml",
                       ["invalid YAML", "line"]),
    "empty_choice": (with_space({"x": {"_type": "choice", "_value": []}}), "c.json",
                     ["searchSpace.x._value", "at least one option"]),
    "nested_option_without_name": (with_space({"opt": {"_type": "choice", "_value": [
        {"lr": {"_type": "uniform", "_value": [0, 1]}}]}}), "c.json",
                                   ["searchSpace.opt._value[0]", "_name"]),
    "missing_code_directory": (dict(BASE, trialCodeDirectory="/nonexistent/e2e-dir"), "c.json",
                               ["trialCodeDirectory", "/nonexistent/e2e-dir",
                                "not a directory"]),
    "unknown_tuner": (dict(BASE, tuner={"name": "NoSuchTuner"}), "c.json",
                      ["tuner", "NoSuchTuner", "Random"]),
}


def experiment_folders(daemon: e2e.Daemon) -> List[str]:
    folder = os.path.join(daemon.home, "experiments")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_config_is_refused_and_nothing_is_created(daemon: e2e.Daemon, workdir: str,
                                                      name: str) -> None:
    config, file_name, fragments = CASES[name]
    folder = os.path.join(workdir, name)
    os.makedirs(folder)
    path = os.path.join(folder, file_name)
    if isinstance(config, str):
        with open(path, "w") as f:
            f.write(config)
    else:
        config = dict(config)
        config.setdefault("trialCodeDirectory", ".")
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
    before = daemon.experiment_ids()
    folders_before = experiment_folders(daemon)
    proc = daemon.dlctl("submit", path, check=False)
    assert proc.returncode != 0, proc
    message = proc.stderr
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert daemon.experiment_ids() == before
    assert experiment_folders(daemon) == folders_before


def test_every_problem_is_reported_at_once(daemon: e2e.Daemon, workdir: str) -> None:
    config = dict(BASE, trialConcurency=2,
                  searchSpace={"x": {"_type": "uniform", "_value": [1, 0]},
                               "y": {"_type": "choice", "_value": []}})
    del config["trialCommand"]
    path = e2e.write_config(workdir, "many.json", config)
    proc = daemon.dlctl("submit", path, check=False)
    assert proc.returncode != 0
    for fragment in ("trialConcurency", "searchSpace.x._value", "searchSpace.y._value",
                     "trialCommand"):
        assert fragment in proc.stderr, (fragment, proc.stderr)


def test_a_good_config_after_the_bad_ones_is_accepted(daemon: e2e.Daemon, workdir: str) -> None:
    # Guards the catalogue above: the same base config, unbroken, goes through.
    path = e2e.write_config(workdir, "good.json", dict(BASE, trialCodeDirectory=workdir))
    before = daemon.experiment_ids()
    experiment_id = daemon.submit(path)
    assert daemon.experiment_ids() == sorted(before + [experiment_id])
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "DONE", status

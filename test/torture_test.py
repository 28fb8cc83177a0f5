"""kill -9 of the daemon at random moments of a running experiment, 20 times, each time
started again at once. Nothing may be lost or doubled: every trial runs once and ends
SUCCEEDED, every report a trial's SDK call accepted is stored exactly once and in order, and
the experiment ends DONE by itself (no resume).

The seed is printed; DLKIT_TORTURE_SEED=N reruns one schedule."""

import json
import os
import random
import signal
import time
from typing import Any, Dict, List

import e2e
from e2e import objective

KILLS = 20
TRIALS = 12


def read_events(directory: str) -> Dict[str, List[Dict[str, Any]]]:
    events: Dict[str, List[Dict[str, Any]]] = {}
    for name in os.listdir(directory):
        if name.endswith(".jsonl"):
            with open(os.path.join(directory, name)) as f:
                # A line cut by a kill cannot happen: only the daemon is killed.
                events[name[:-len(".jsonl")]] = [json.loads(line) for line in f if line.strip()]
    return events


def test_twenty_kills_lose_and_double_nothing(daemon: e2e.Daemon, workdir: str) -> None:
    seed = int(os.environ.get("DLKIT_TORTURE_SEED", random.randrange(1 << 30)))
    print("torture seed", seed)
    rng = random.Random(seed)
    records = daemon.record_dir(workdir, "torture_records")
    config = e2e.write_config(workdir, "torture.json", {
        "searchSpace": {"x": {"_type": "uniform", "_value": [-1.0, 1.0]},
                        "units": {"_type": "choice", "_value": [8, 16, 32, 64]}},
        "trialCommand": "%s steady_trial.py --dir %s --steps 40 --interval 0.25" %
                        (e2e.PYTHON, records),
        "trialConcurrency": 2,
        "maxTrialNumber": TRIALS,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)

    kills = []
    while len(kills) < KILLS:
        time.sleep(rng.uniform(0.2, 2.0))
        status = daemon.status(experiment_id)
        assert status["status"] == "RUNNING", (len(kills), status)  # sized to outlast the kills
        pid = daemon.pid
        os.kill(pid, signal.SIGKILL)
        kills.append(time.time())
        e2e.wait_until(lambda: not e2e.process_alive(pid), 10, "dlkitd to die")
        daemon.start()
    summary = {"seed": seed, "kills": len(kills), "kill_span_s": round(kills[-1] - kills[0], 1)}

    # Each restart got its ports back: no trial holds a socket it inherited from a daemon.
    with open(os.path.join(daemon.home, "daemon.log")) as f:
        assert "Address already in use" not in f.read()

    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 180)
    assert status["status"] == "DONE", status
    assert "maxTrialNumber" in status["reason"], status
    trials = daemon.trials(experiment_id)
    assert len(trials) == TRIALS, [(t["index"], t["status"], t["reason"]) for t in trials]
    assert all(t["status"] == "SUCCEEDED" for t in trials), \
        [(t["index"], t["status"], t["reason"]) for t in trials]

    events = read_events(records)
    for trial in trials:
        log = events.get(trial["id"])
        assert log, "trial %s has no log" % trial["id"]
        starts = [e for e in log if "start" in e]
        assert len(starts) == 1, (trial["id"], starts)  # ran once, never rerun
        reported = [e["value"] for e in log if "step" in e]
        p = trial["parameters"]
        assert reported == [objective.intermediate(p, i) for i in range(40)], trial["id"]
        assert trial["intermediate"] == reported, (trial["id"], len(trial["intermediate"]))
        assert trial["final"] == objective.final(p) == log[-1]["final"], trial
    summary.update(trials=len(trials), reports_checked=sum(len(t["intermediate"]) + 1
                                                           for t in trials))
    out = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    if out:  # bazel-testlogs/test/torture_test/test.outputs/outputs.zip
        with open(os.path.join(out, "torture-summary.json"), "w") as f:
            json.dump(summary, f)
    # A Reporter the next daemon did not know (started just before a kill, before its trial
    # was stored) may have run, but none of its reports was accepted.
    known = {t["id"] for t in trials}
    for trial_id, log in events.items():
        if trial_id not in known:
            assert not [e for e in log if "step" in e or "final" in e], (trial_id, log)

"""The daemon process itself: SIGKILLed mid-run and started again; one daemon per address."""

import json
import os
import signal
import subprocess
from typing import Any, Dict, List

import e2e
from e2e import objective

SPACE = {
    "x": {"_type": "uniform", "_value": [-1.0, 1.0]},
    "units": {"_type": "choice", "_value": [8, 16, 32, 64]},
}


def by_index(trials: List[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    return {t["index"]: t for t in trials}


def test_sigkilled_daemon_comes_back_and_takes_its_running_trials_back(
        daemon: e2e.Daemon, workdir: str) -> None:
    records = daemon.record_dir(workdir, "crash_records")
    config = e2e.write_config(workdir, "crash.json", {
        "searchSpace": SPACE,
        "trialCommand": "%s gated_trial.py --dir %s --fast-until 2" % (e2e.PYTHON, records),
        "trialConcurrency": 2,
        "maxTrialNumber": 5,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)

    def two_done_two_running(trials: List[Dict[str, Any]]) -> bool:
        states = {t["index"]: t["status"] for t in trials}
        return states == {1: "SUCCEEDED", 2: "SUCCEEDED", 3: "RUNNING", 4: "RUNNING"}

    before = by_index(daemon.wait_trials(experiment_id, two_done_two_running, 60,
                                         "trials 1-2 done, 3-4 running"))
    running = [e2e.wait_until(lambda i=i: e2e.read_records(records).get(before[i]["id"]), 30,
                              "trial %d's record" % i) for i in (3, 4)]
    processes = [r["pid"] for r in running] + [r["reporter_pid"] for r in running]
    assert all(processes), running

    old_pid = daemon.json("daemon", "status")["pid"]
    assert old_pid == daemon.pid
    os.kill(old_pid, signal.SIGKILL)
    e2e.wait_until(lambda: not e2e.process_alive(old_pid), 10, "dlkitd to die")
    # The trials run on without their daemon, and finish while it is away: their Reporters
    # keep the final results until the next daemon takes them.
    assert all(e2e.process_alive(pid) for pid in processes), running
    open(os.path.join(records, "release"), "w").close()
    for i in (3, 4):
        e2e.wait_until(lambda i=i: e2e.read_records(records)[before[i]["id"]].get("end"), 30,
                       "trial %d to finish while no daemon runs" % i)

    daemon.start()
    assert daemon.pid != old_pid
    # No resume: the experiment goes on by itself, and ends with exactly 5 trials.
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "DONE", status
    assert status["trials"]["succeeded"] == 5, status
    after = by_index(daemon.trials(experiment_id))
    assert sorted(after) == [1, 2, 3, 4, 5], after  # nothing ran twice
    for i in (1, 2):  # finished before the kill: kept as they were
        assert after[i] == before[i], (before[i], after[i])
    for i in (3, 4, 5):
        trial = after[i]
        p = trial["parameters"]
        assert trial["status"] == "SUCCEEDED", trial
        assert trial["intermediate"] == [objective.intermediate(p, 0)], trial
        assert trial["final"] == objective.final(p), trial
    for i in (3, 4):  # the same processes, not reruns
        assert after[i]["id"] == before[i]["id"]
        assert e2e.read_records(records)[after[i]["id"]]["pid"] == running[i - 3]["pid"]
    history = daemon.json("status", experiment_id)
    assert history["status"] == "DONE", history


def test_clean_stop_leaves_trials_running_unless_kill_trials(daemon: e2e.Daemon,
                                                             workdir: str) -> None:
    records = daemon.record_dir(workdir, "stop_records")
    config = e2e.write_config(workdir, "stop.json", {
        "searchSpace": SPACE,
        "trialCommand": "%s gated_trial.py --dir %s" % (e2e.PYTHON, records),
        "trialConcurrency": 2,
        "maxTrialNumber": 2,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)
    trials = daemon.wait_trials(
        experiment_id, lambda ts: len(ts) == 2 and all(t["status"] == "RUNNING" for t in ts),
        60, "two running trials")
    pids = [e2e.wait_until(lambda t=t: e2e.read_records(records).get(t["id"]), 30,
                           "a record")["pid"] for t in trials]

    daemon.dlctl("daemon", "stop")  # SIGTERM-like: the trials stay
    assert all(e2e.process_alive(pid) for pid in pids)
    daemon.start()
    status = daemon.status(experiment_id)
    assert status["status"] == "RUNNING", status
    assert status["trials"]["running"] == 2, status

    stopped = daemon.dlctl("daemon", "stop", "--kill-trials")
    assert "stopped" in stopped.stdout, stopped.stdout
    for pid in pids:
        e2e.wait_until(lambda pid=pid: not e2e.process_alive(pid), 20, "trial %d to die" % pid)
    daemon.start()
    status = daemon.status(experiment_id)
    assert status["status"] == "STOPPED", status
    assert "--kill-trials" in status["reason"], status
    assert status["trials"]["killed"] == 2, status
    # resume runs them again, with the same parameters.
    open(os.path.join(records, "release"), "w").close()
    assert daemon.json("resume", experiment_id)["status"] == "RUNNING"
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "DONE", status
    rerun = sorted(json_key(t["parameters"]) for t in daemon.trials(experiment_id)
                   if t["status"] == "SUCCEEDED")
    assert rerun == sorted(json_key(t["parameters"]) for t in trials)


def json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def test_second_daemon_on_the_same_address_refuses_to_start(daemon: e2e.Daemon,
                                                            tmp_path) -> None:
    other_home = str(tmp_path / "other_home")
    proc = subprocess.Popen([e2e.DLKITD, "--home=" + other_home, "--address=" + daemon.address],
                            env=daemon.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        output, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        raise AssertionError("a second dlkitd shares %s with the first: %s" %
                             (daemon.address, output)) from None
    assert proc.returncode != 0, output
    assert "cannot listen on %s" % daemon.address in output, output
    # The first daemon still answers, alone.
    for _ in range(5):
        status = daemon.json("daemon", "status")
        assert status["home"] == daemon.home and status["pid"] == daemon.pid, status


def test_daemon_will_not_listen_beyond_this_machine_unprotected(tmp_path) -> None:
    # Whoever reaches the port could run trial commands as this user.
    result = subprocess.run([e2e.DLKITD, "--home=" + str(tmp_path / "home"),
                             "--address=0.0.0.0:%d" % e2e.free_port()],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=15)
    assert result.returncode == 2, result.stdout
    assert "refusing to listen on 0.0.0.0" in result.stdout, result.stdout
    assert not (tmp_path / "home").exists()  # nothing was created

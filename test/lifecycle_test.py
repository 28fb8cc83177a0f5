"""A user acting on a running experiment: kill one trial, stop the experiment, resume it."""

import os
import time
from typing import Any, Dict, List

import e2e
from e2e import objective

SPACE = {
    "x": {"_type": "uniform", "_value": [-1.0, 1.0]},
    "units": {"_type": "choice", "_value": [8, 16, 32, 64]},
}


def by_index(trials: List[Dict[str, Any]]) -> Dict[int, Dict[str, Any]]:
    return {t["index"]: t for t in trials}


def release(records: str) -> None:
    open(os.path.join(records, "release"), "w").close()


def recorded_pid(records: str, trial_id: str) -> int:
    record = e2e.wait_until(lambda: e2e.read_records(records).get(trial_id), 30,
                            "trial %s to write its record" % trial_id)
    return int(record["pid"])


def test_kill_trial_kills_the_process_and_the_experiment_goes_on(
        daemon: e2e.Daemon, workdir: str) -> None:
    records = daemon.record_dir(workdir, "kill_records")
    config = e2e.write_config(workdir, "kill.json", {
        "searchSpace": SPACE,
        "trialCommand": "%s gated_trial.py --dir %s" % (e2e.PYTHON, records),
        "trialConcurrency": 1,
        "maxTrialNumber": 2,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)
    [first] = daemon.wait_trials(experiment_id,
                                 lambda ts: len(ts) == 1 and ts[0]["status"] == "RUNNING", 30,
                                 "the first trial to run")
    pid = recorded_pid(records, first["id"])
    assert e2e.process_alive(pid)

    killed_at = time.monotonic()
    daemon.dlctl("kill-trial", experiment_id, str(first["index"]))
    daemon.wait_trials(experiment_id,
                       lambda ts: by_index(ts)[1]["status"] == "KILLED", 10,
                       "trial 1 to be KILLED")
    e2e.wait_until(lambda: not e2e.process_alive(pid), 10, "trial process %d to die" % pid)
    # The trial ignores nothing: SIGTERM ends it at once, long before the 10 s grace period.
    assert time.monotonic() - killed_at < 8

    trials = daemon.wait_trials(experiment_id, lambda ts: len(ts) == 2, 30,
                                "the second trial to start")
    assert by_index(trials)[1]["reason"] == "killed by the user", trials
    # The intermediate result it reported before the kill is kept.
    assert by_index(trials)[1]["intermediate"] == [objective.intermediate(first["parameters"], 0)]
    release(records)
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "DONE", status
    assert status["trials"]["killed"] == 1 and status["trials"]["succeeded"] == 1, status
    trials = by_index(daemon.trials(experiment_id))
    assert trials[1]["status"] == "KILLED" and trials[1]["final"] is None, trials
    assert trials[2]["status"] == "SUCCEEDED", trials
    assert trials[2]["final"] == objective.final(trials[2]["parameters"]), trials


def test_stop_kills_running_trials_and_resume_completes_the_count(
        daemon: e2e.Daemon, workdir: str) -> None:
    records = daemon.record_dir(workdir, "stop_records")
    config = e2e.write_config(workdir, "stop.json", {
        "searchSpace": SPACE,
        "trialCommand": "%s gated_trial.py --dir %s --fast-until 1" % (e2e.PYTHON, records),
        "trialConcurrency": 2,
        "maxTrialNumber": 4,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)

    def one_done_two_running(trials: List[Dict[str, Any]]) -> bool:
        states = {t["index"]: t["status"] for t in trials}
        return states == {1: "SUCCEEDED", 2: "RUNNING", 3: "RUNNING"}

    before = by_index(daemon.wait_trials(experiment_id, one_done_two_running, 60,
                                         "trial 1 done, trials 2 and 3 running"))
    pids = [recorded_pid(records, before[i]["id"]) for i in (2, 3)]

    stopped = daemon.json("stop", experiment_id)
    assert stopped["status"] == "STOPPED", stopped
    trials = by_index(daemon.wait_trials(
        experiment_id, lambda ts: all(t["status"] != "RUNNING" for t in ts), 20,
        "the running trials to end"))
    for i in (2, 3):
        assert trials[i]["status"] == "KILLED", trials
        assert "stopped" in trials[i]["reason"], trials
    for pid in pids:
        e2e.wait_until(lambda: not e2e.process_alive(pid), 15, "trial process %d to die" % pid)
    assert daemon.status(experiment_id)["status"] == "STOPPED"
    # A stopped experiment starts nothing new.
    time.sleep(1.0)
    assert len(daemon.trials(experiment_id)) == 3

    release(records)
    resumed = daemon.json("resume", experiment_id)
    assert resumed["status"] == "RUNNING", resumed
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "DONE", status
    assert status["trials"]["succeeded"] == 4, status
    # Progress counts the 4 of maxTrialNumber, not the 2 the stop interrupted.
    assert status["trials"]["done"] == 4 and status["trials"]["killed"] == 2, status
    assert status["dashboard"] == "http://%s/#/experiments/%s" % (daemon.gateway_address,
                                                                 experiment_id), status

    after = by_index(daemon.trials(experiment_id))
    # Finished trials are kept as they were; numbering goes on after them.
    assert after[1]["id"] == before[1]["id"] and after[1]["status"] == "SUCCEEDED"
    assert after[1]["final"] == objective.final(after[1]["parameters"])
    assert [after[i]["status"] for i in (2, 3)] == ["KILLED", "KILLED"], after
    assert sorted(after) == list(range(1, 7)), after  # 2 reruns + 1 new trial
    new = [after[i] for i in (4, 5, 6)]
    for trial in new:
        assert trial["status"] == "SUCCEEDED", trial
        assert trial["final"] == objective.final(trial["parameters"]), trial
    # The interrupted trials' parameters run again.
    rerun = [t["parameters"] for t in new]
    for i in (2, 3):
        assert before[i]["parameters"] in rerun, (before[i], rerun)
    # Over gRPC: the stopped trials are marked interrupted (not counted) and requeued.
    stored = {t.index: t for t in daemon.rpc_trials(experiment_id)}
    for i in (2, 3):
        assert stored[i].interrupted and stored[i].requeued, stored[i]
    for i in (1, 4, 5, 6):
        assert not stored[i].interrupted and not stored[i].requeued, stored[i]


def test_watch_experiments_streams_the_list_as_it_changes(
        daemon: e2e.Daemon, workdir: str) -> None:
    """What the dashboard's list follows: a snapshot, then a new experiment, its progress,
    its end and its deletion, each as it happens."""
    import queue  # pylint: disable=import-outside-toplevel
    import threading  # pylint: disable=import-outside-toplevel

    import grpc  # pylint: disable=import-outside-toplevel
    from dlkit.v1 import launcher_pb2, launcher_pb2_grpc, types_pb2  # pylint: disable=import-outside-toplevel

    channel = daemon.channel()
    launcher = launcher_pb2_grpc.LauncherServiceStub(channel)
    stream = launcher.WatchExperiments(launcher_pb2.WatchExperimentsRequest(), timeout=180)
    messages: "queue.Queue[Any]" = queue.Queue()

    def read() -> None:
        try:
            for message in stream:
                messages.put(message)
        except grpc.RpcError:
            pass  # cancelled at the end

    threading.Thread(target=read, daemon=True).start()
    first = messages.get(timeout=20)
    assert first.snapshot
    known = {e.id for e in first.experiments}

    config = e2e.write_config(workdir, "watched.json", {
        "searchSpace": SPACE,
        "trialCommand": "%s sdk_trial.py --sleep 0.3" % e2e.PYTHON,
        "trialConcurrency": 1,
        "maxTrialNumber": 3,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)
    assert experiment_id not in known
    seen = []  # (state, finished) of each message about it, in order
    deadline = time.monotonic() + 90
    while not seen or seen[-1][0] != "EXPERIMENT_DONE":
        message = messages.get(timeout=max(0.1, deadline - time.monotonic()))
        assert not message.snapshot
        for e in message.experiments:
            if e.id == experiment_id:
                seen.append((types_pb2.ExperimentState.Name(e.state),
                             e.counts.finished))
                assert e.dashboard_url.endswith("/#/experiments/" + experiment_id), e
    assert seen[0][0] == "EXPERIMENT_RUNNING", seen
    finished = [f for _, f in seen]
    assert finished == sorted(finished) and finished[-1] == 3, seen
    assert any(0 < f < 3 for f in finished), seen  # progress arrived while it ran

    launcher.DeleteExperiment(launcher_pb2.DeleteExperimentRequest(experiment_id=experiment_id),
                              timeout=30)
    while True:
        message = messages.get(timeout=20)
        if experiment_id in message.deleted_ids:
            break
    stream.cancel()
    channel.close()

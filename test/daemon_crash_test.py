"""The daemon process itself: SIGKILLed mid-run and started again; one daemon per address."""

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


def test_sigkilled_daemon_restarts_stopped_and_resume_finishes(
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
    assert all(e2e.process_alive(pid) for pid in processes), running

    old_pid = daemon.json("daemon", "status")["pid"]
    assert old_pid == daemon.pid
    os.kill(old_pid, signal.SIGKILL)
    e2e.wait_until(lambda: not e2e.process_alive(old_pid), 10, "dlkitd to die")

    daemon.start()
    assert daemon.pid != old_pid
    status = daemon.status(experiment_id)
    assert status["status"] == "STOPPED", status
    assert "daemon" in status["reason"], status

    after = by_index(daemon.trials(experiment_id))
    assert sorted(after) == [1, 2, 3, 4], after
    for i in (1, 2):  # finished before the kill: kept with every metric
        assert after[i] == before[i], (before[i], after[i])
        p = after[i]["parameters"]
        assert after[i]["status"] == "SUCCEEDED"
        assert after[i]["intermediate"] == [objective.intermediate(p, 0)], after[i]
        assert after[i]["final"] == objective.final(p), after[i]
    for i in (3, 4):  # running at the kill: ended, with their acknowledged metric kept
        assert after[i]["status"] == "KILLED", after[i]
        assert "daemon" in after[i]["reason"], after[i]
        assert after[i]["intermediate"] == [objective.intermediate(after[i]["parameters"], 0)]
    # Their processes do not outlive the daemon for long: the restarted daemon refuses
    # their Reporters, which then kill their trials.
    for pid in processes:
        e2e.wait_until(lambda pid=pid: not e2e.process_alive(pid), 40,
                       "orphaned process %d to exit" % pid, interval=0.5)

    open(os.path.join(records, "release"), "w").close()
    resumed = daemon.json("resume", experiment_id)
    assert resumed["status"] == "RUNNING", resumed
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
    assert status["status"] == "DONE", status
    assert "maxTrialNumber" in status["reason"], status
    assert status["trials"]["succeeded"] == 5, status
    final = by_index(daemon.trials(experiment_id))
    assert sorted(final) == list(range(1, 8)), final  # 2 reruns + 1 new
    for i in (1, 2):
        assert final[i] == before[i]
    new = [final[i] for i in (5, 6, 7)]
    for trial in new:
        assert trial["status"] == "SUCCEEDED", trial
        assert trial["final"] == objective.final(trial["parameters"]), trial
    rerun = [t["parameters"] for t in new]
    for i in (3, 4):
        assert before[i]["parameters"] in rerun, (before[i], rerun)


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

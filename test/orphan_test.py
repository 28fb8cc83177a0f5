"""The daemon dies (SIGKILL) and does not come back: its trials must not run on forever.

The Reporter kills its trial once the Manager has been unreachable for the reconnect window
(dlkitd --trial_reconnect_window, 30m by default; 10 s here)."""

import os
import signal
import time

import e2e


def test_trials_die_when_the_daemon_is_gone_for_good(daemon: e2e.Daemon, workdir: str) -> None:
    daemon.dlctl("daemon", "stop")
    daemon.env["DLKIT_TRIAL_RECONNECT_WINDOW"] = "10s"
    daemon.start()
    records = daemon.record_dir(workdir, "orphan_records")
    config = e2e.write_config(workdir, "orphan.json", {
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "%s gated_trial.py --dir %s --timeout 120" % (e2e.PYTHON, records),
        "trialConcurrency": 1,
        "maxTrialNumber": 1,
        "tuner": {"name": "Random"},
    })
    experiment_id = daemon.submit(config)
    [trial] = daemon.wait_trials(experiment_id,
                                 lambda ts: len(ts) == 1 and ts[0]["status"] == "RUNNING", 30,
                                 "the trial to run")
    record = e2e.wait_until(lambda: e2e.read_records(records).get(trial["id"]), 30,
                            "the trial's record")
    pid, reporter = record["pid"], record["reporter_pid"]
    assert reporter and e2e.process_alive(pid) and e2e.process_alive(reporter), record

    os.kill(daemon.pid, signal.SIGKILL)
    e2e.wait_until(lambda: not e2e.process_alive(daemon.pid), 10, "dlkitd to die")
    # Alive through a short outage (the next daemon would take it back)...
    time.sleep(3)
    assert e2e.process_alive(pid) and e2e.process_alive(reporter), record
    # ...but not beyond the 10 s window (a 1 s watchdog tick, and some slack).
    e2e.wait_until(lambda: not e2e.process_alive(pid), 30,
                   "trial process %d to die without its daemon" % pid, interval=0.5)
    e2e.wait_until(lambda: not e2e.process_alive(reporter), 15,
                   "dlkit-reporter %d to exit without its daemon" % reporter, interval=0.5)

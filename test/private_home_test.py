"""DLKIT_HOME is the user's alone: created 0700 with every file in it 0600, an existing home
open to others is tightened with a warning, and trials still write their own files with the
user's umask."""

import os
import stat

import e2e


def _open_to_others(home: str) -> list:
    """Every folder or file under `home` that its group or others may use."""
    loose = []
    for root, dirs, files in os.walk(home):
        for name in [root] + [os.path.join(root, f) for f in files]:
            mode = stat.S_IMODE(os.lstat(name).st_mode)
            if mode & 0o077:
                loose.append("%s %04o" % (name, mode))
    return loose


def test_a_new_home_and_all_it_holds_are_private(tmp_path) -> None:
    previous = os.umask(0o022)  # a usual user umask: files 0644 unless dlkit says otherwise
    home = str(tmp_path / "fresh" / "home")  # nothing there yet
    daemon = e2e.Daemon(home)
    try:
        daemon.start()
        work = str(tmp_path / "work")
        os.makedirs(work)
        config = e2e.write_config(work, "private.json", {
            "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
            "trialCommand": "echo made > made_by_trial.txt; echo '[dlkit] final_result: 1'",
            "trialCodeDirectory": work,
            "maxTrialNumber": 2,
        })
        experiment_id = daemon.submit(config)
        status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 60)
        assert status["status"] == "DONE", status
        experiment_dir = os.path.join(home, "experiments", experiment_id)
        assert os.path.exists(os.path.join(experiment_dir, "experiment.db"))
        trial_logs = [os.path.join(experiment_dir, "trials", t["id"], "trial.log")
                      for t in daemon.trials(experiment_id)]
        assert len(trial_logs) == 2 and all(os.path.exists(p) for p in trial_logs), trial_logs
        assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
        assert _open_to_others(home) == []
        # What the trial wrote itself follows the user's umask, not the daemon's.
        made = os.path.join(work, "made_by_trial.txt")
        assert stat.S_IMODE(os.stat(made).st_mode) == 0o644
    finally:
        daemon.stop()
        os.umask(previous)


def test_an_existing_home_open_to_others_is_tightened_with_a_warning(tmp_path) -> None:
    home = str(tmp_path / "shared-home")
    os.makedirs(home)
    os.chmod(home, 0o755)
    daemon = e2e.Daemon(home)
    try:
        proc = daemon.dlctl("daemon", "start", timeout=60)
        assert "was open to other users (mode 0755)" in proc.stderr, proc.stderr
        assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
        assert "was open to other users (mode 0755)" in daemon.daemon_log()
        assert daemon.dlctl("list").returncode == 0
    finally:
        daemon.stop()

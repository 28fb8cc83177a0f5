"""Helpers for the end-to-end tests: the binaries in the runfiles, a daemon per test module,
dlctl calls, waits with deadlines, and the trials' own records (pids, times)."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

PYTHON = "/usr/bin/python3"
WORKSPACE = "dlkit"


def runfile(path: str) -> str:
    """Absolute path of a file of this workspace in the test's runfiles."""
    for var in ("TEST_SRCDIR", "RUNFILES_DIR"):
        root = os.environ.get(var)
        if root:
            candidate = os.path.join(root, WORKSPACE, path)
            if os.path.exists(candidate):
                return candidate
    # Run outside Bazel from the source tree: bazel-bin holds the binaries.
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    for candidate in (os.path.join(repo, path), os.path.join(repo, "bazel-bin", path)):
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError("%s is not in the runfiles (build it first)" % path)


DLCTL = runfile("cli/dlctl")
DLKITD = runfile("services/daemon/dlkitd")
TRIALS_DIR = os.path.dirname(runfile("test/trials/objective.py"))

# Trial objective, shared with the trial scripts so tests recompute exactly what they sent.
sys.path.insert(0, TRIALS_DIR)
import objective  # noqa: E402  pylint: disable=wrong-import-position


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], Any], timeout: float, what: str,
               interval: float = 0.1) -> Any:
    """Calls check() until it returns something truthy; fails after `timeout` seconds with
    the last value seen, so a hang reads as a clear assertion."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s; last seen: %r" %
                                 (timeout, what, last))
        time.sleep(interval)


# --- processes --------------------------------------------------------------------------------

def _proc_stat(pid: int) -> Optional[List[str]]:
    """Fields of /proc/PID/stat after the command name: [state, ppid, pgid, ...]."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def process_alive(pid: int) -> bool:
    """True while PID is a live process (a zombie waiting to be reaped counts as gone)."""
    fields = _proc_stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def kill_quietly(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


# --- trial records ----------------------------------------------------------------------------

def read_records(directory: str) -> Dict[str, Dict[str, Any]]:
    """The records trials wrote (see trials/record.py), by trial id."""
    records = {}
    if not os.path.isdir(directory):
        return records
    for name in os.listdir(directory):
        if name.endswith(".json"):
            with open(os.path.join(directory, name)) as f:
                record = json.load(f)
            records[record["trial_id"]] = record
    return records


def kill_recorded_processes(directory: str) -> None:
    """Leaves nothing behind after a failed test: every recorded trial and Reporter dies."""
    for record in read_records(directory).values():
        for key in ("pid", "reporter_pid"):
            pid = record.get(key)
            if pid and process_alive(pid):
                kill_quietly(pid)


# --- the daemon and dlctl ---------------------------------------------------------------------

class DlctlError(AssertionError):
    pass


class Daemon:
    """One dlkitd with its own home and port, driven only through dlctl."""

    def __init__(self, home: str) -> None:
        self.home = home
        self.address = "127.0.0.1:%d" % free_port()
        # Its own dashboard port: daemons of tests running side by side would share 8080.
        self.gateway_address = "127.0.0.1:%d" % free_port()
        self.record_dirs: List[str] = []
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DLKIT_", "NNI_")) and k not in ("PYTHONPATH",)}
        env.update({
            "DLKIT_HOME": home,
            "DLKIT_ADDRESS": self.address,
            "DLKIT_DAEMON_BIN": DLKITD,
            "DLKIT_GATEWAY_ADDRESS": self.gateway_address,
        })
        self.env = env

    # dlctl ---------------------------------------------------------------------------------

    def dlctl(self, *args: str, check: bool = True, timeout: float = 60,
              cwd: Optional[str] = None,
              env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
        """Runs dlctl against this daemon (`env`: variables to add, e.g. DLKIT_TOKEN)."""
        proc = subprocess.run([DLCTL, *args], env=dict(self.env, **(env or {})), cwd=cwd,
                              capture_output=True,
                              text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise DlctlError("dlctl %s exited %d\nstdout: %s\nstderr: %s" %
                             (" ".join(args), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def json(self, *args: str) -> Any:
        proc = self.dlctl(*args, "--output", "json")
        try:
            return json.loads(proc.stdout)
        except ValueError as e:
            raise DlctlError("dlctl %s printed no JSON (%s): %r" % (" ".join(args), e,
                                                                    proc.stdout))

    def start(self, attempts: int = 3) -> None:
        """`dlctl daemon start`. The first start may retry on another free port: other
        processes on this machine pick free ports too, and may take ours in between."""
        for attempt in range(attempts):
            self.dlctl("daemon", "start", timeout=60, check=attempt == attempts - 1)
            status = self.dlctl("daemon", "status", "--output", "json", check=False)
            if status.returncode == 0:
                status = json.loads(status.stdout)
                if status["home"] == self.home:
                    assert status["address"] == self.address, status
                    self.pid = int(status["pid"])
                    return
            if getattr(self, "pid", None):
                break  # a restart must keep its address
            self.address = "127.0.0.1:%d" % free_port()
            self.env["DLKIT_ADDRESS"] = self.address
        raise AssertionError("dlkitd did not start at %s with home %s; daemon log:\n%s" %
                             (self.address, self.home, self.daemon_log()))

    def daemon_log(self) -> str:
        try:
            with open(os.path.join(self.home, "daemon.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return "(none)"

    def stop(self) -> None:
        """`dlctl daemon stop`, then SIGKILL if it is still alive; kills leftover trials."""
        try:
            self.dlctl("daemon", "stop", "--kill-trials", check=False, timeout=30)
        except subprocess.TimeoutExpired:
            pass
        pid = getattr(self, "pid", None)
        if pid:
            try:
                wait_until(lambda: not process_alive(pid), 10, "dlkitd to exit")
            except AssertionError:
                kill_quietly(pid)
        for directory in self.record_dirs:
            kill_recorded_processes(directory)

    def save_logs(self, label: str) -> None:
        """Copies the daemon's log to the test's outputs (bazel-testlogs/.../outputs)."""
        out = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
        log = os.path.join(self.home, "daemon.log")
        if out and os.path.exists(log):
            shutil.copy(log, os.path.join(out, "%s-daemon.log" % label))

    # experiments ---------------------------------------------------------------------------

    def record_dir(self, base: str, name: str) -> str:
        """A folder where the trials of one experiment write their records."""
        directory = os.path.join(base, name)
        os.makedirs(directory, exist_ok=True)
        self.record_dirs.append(directory)
        return directory

    def submit(self, config_path: str) -> str:
        result = self.json("submit", config_path)
        assert result["id"], result
        return result["id"]

    def status(self, experiment_id: str) -> Dict[str, Any]:
        return self.json("status", experiment_id)

    def trials(self, experiment_id: str) -> List[Dict[str, Any]]:
        return self.json("trials", experiment_id)

    def experiment_ids(self) -> List[str]:
        return sorted(e["id"] for e in self.json("list"))

    def wait_status(self, experiment_id: str, states: Sequence[str],
                    timeout: float, on_poll: Optional[Callable[[Dict[str, Any]], None]] = None
                    ) -> Dict[str, Any]:
        def check() -> Any:
            status = self.status(experiment_id)
            if on_poll:
                on_poll(status)
            return status if status["status"] in states else False
        try:
            return wait_until(check, timeout, "experiment %s to be %s" %
                              (experiment_id, "/".join(states)), interval=0.2)
        except AssertionError as e:
            raise AssertionError("%s\nstatus: %s\ntrials: %s" % (
                e, self.status(experiment_id), self.trials(experiment_id))) from None

    def wait_trials(self, experiment_id: str, check: Callable[[List[Dict[str, Any]]], bool],
                    timeout: float, what: str) -> List[Dict[str, Any]]:
        def poll() -> Any:
            trials = self.trials(experiment_id)
            return trials if check(trials) else False
        try:
            return wait_until(poll, timeout, what, interval=0.2)
        except AssertionError as e:
            raise AssertionError("%s\ntrials: %s" % (e, self.trials(experiment_id))) from None

    # gRPC, for what dlctl does not print -----------------------------------------------------

    @property
    def token(self) -> str:
        """The daemon's admin token, from its home (written at its first start)."""
        from dlkit.daemon_channel import find_token  # pylint: disable=import-outside-toplevel
        saved = os.environ.pop("DLKIT_TOKEN", None)
        try:
            return find_token(self.home)
        finally:
            if saved is not None:
                os.environ["DLKIT_TOKEN"] = saved

    def channel(self, token: Optional[str] = None) -> Any:
        """A channel to the daemon sending ``token`` (default: its admin token)."""
        from dlkit.daemon_channel import daemon_channel  # pylint: disable=import-outside-toplevel
        return daemon_channel(self.address, self.token if token is None else token)

    def rpc_trials(self, experiment_id: str) -> List[Any]:
        """ManagerService.ListTrials with series and histories: full-precision timestamps."""
        from dlkit.v1 import manager_pb2, manager_pb2_grpc  # pylint: disable=import-outside-toplevel
        with self.channel() as channel:
            stub = manager_pb2_grpc.ManagerServiceStub(channel)
            response = stub.ListTrials(
                manager_pb2.ListTrialsRequest(experiment_id=experiment_id,
                                              include_series=True), timeout=20)
        return list(response.trials)

    def rpc_trial(self, experiment_id: str, trial_id: str) -> Any:
        from dlkit.v1 import manager_pb2, manager_pb2_grpc  # pylint: disable=import-outside-toplevel
        with self.channel() as channel:
            stub = manager_pb2_grpc.ManagerServiceStub(channel)
            return stub.GetTrial(manager_pb2.GetTrialRequest(experiment_id=experiment_id,
                                                             trial_id=trial_id),
                                 timeout=20).trial


def write_config(directory: str, name: str, config: Dict[str, Any]) -> str:
    """Writes a dlkit-tune.json; trialCodeDirectory defaults to the trial scripts and a
    maxExperimentDuration caps every experiment in case something hangs."""
    config = dict(config)
    config.setdefault("trialCodeDirectory", TRIALS_DIR)
    config.setdefault("maxExperimentDuration", "3m")
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return path


def seconds(timestamp: Any) -> float:
    """A google.protobuf.Timestamp as float seconds."""
    return timestamp.seconds + timestamp.nanos * 1e-9


def max_overlap(intervals: Sequence[Sequence[float]]) -> int:
    """Most intervals [start, end) open at one instant; an end at t comes before a start at t."""
    events = []
    for start, end in intervals:
        events.append((start, 1))
        events.append((end, -1))
    events.sort(key=lambda e: (e[0], e[1]))
    open_now = best = 0
    for _, delta in events:
        open_now += delta
        best = max(best, open_now)
    return best

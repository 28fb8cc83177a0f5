"""What the Python benchmarks share: where the built binaries are, and a real `dlkitd` in a
temporary DLKIT_HOME on a free port, driven through `dlctl`.

Import it from a script one folder down (`bench/NAME/script.py`) with

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import common

(`turnaround/` and `tuners/` predate it and still carry their own copies.)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"  # Debian's: the one with grpcio, torch and sklearn
BUILD_HINT = "bazel build //cli:dlctl //services/daemon:dlkitd"


def add_daemon_args(parser):
    """--dlctl, --dlkitd, --pythonpath, --keep-home, defaulting to the bazel-bin tree."""
    parser.add_argument("--dlctl", default=os.path.join(REPO, "bazel-bin/cli/dlctl"))
    parser.add_argument("--dlkitd",
                        default=os.path.join(REPO, "bazel-bin/services/daemon/dlkitd"))
    parser.add_argument("--reporter",
                        default=os.path.join(REPO, "bazel-bin/services/reporter/dlkit-reporter"))
    parser.add_argument("--pythonpath",
                        default=os.path.join(REPO, "bazel-bin/services/daemon/dlkitd.runfiles/"
                                                   "dlkit/client/python"),
                        help="where `import dlkit` is found (the built SDK tree)")
    parser.add_argument("--keep-home", action="store_true",
                        help="keep the temporary DLKIT_HOME (logs, SQLite) for a look later")


def check_daemon_args(parser, args):
    """parser.error()s unless the binaries and the SDK tree are there."""
    for path in (args.dlctl, args.dlkitd, args.reporter):
        if not os.access(path, os.X_OK):
            parser.error(f"{path} is not built: {BUILD_HINT}")
    if not os.path.isdir(os.path.join(args.pythonpath, "dlkit")):
        parser.error(f"no dlkit package under {args.pythonpath}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """A dlkitd of its own: `start()`, then `submit_watch()` experiments, then `stop()`.

    It runs copies of the binaries and of the SDK tree, installed as dlkitd expects them
    (bin/dlkitd, bin/dlkit-reporter, python/): others rebuild bazel-bin in this repo, and a
    long benchmark must not lose its dlctl, or start trials with a newer Reporter, halfway.
    """

    def __init__(self, args, name):
        self.args = args
        self.name = name  # prefixes error messages and the temporary folder
        self.root = tempfile.mkdtemp(prefix=f"dlkit-bench-{name}-")
        self.home = os.path.join(self.root, "home")
        os.mkdir(self.home)
        bin_dir = os.path.join(self.root, "install", "bin")
        os.makedirs(bin_dir)
        self.dlctl_bin = shutil.copy(args.dlctl, os.path.join(bin_dir, "dlctl"))
        self.dlkitd_bin = shutil.copy(args.dlkitd, os.path.join(bin_dir, "dlkitd"))
        shutil.copy(args.reporter, os.path.join(bin_dir, "dlkit-reporter"))
        shutil.copytree(args.pythonpath, os.path.join(self.root, "install", "python"),
                        symlinks=False)
        self.address = f"127.0.0.1:{free_port()}"
        # The Studies this process (and its workers) opens find the daemon's token here.
        os.environ["DLKIT_HOME"] = self.home
        self.env = dict(os.environ, DLKIT_HOME=self.home, DLKIT_ADDRESS=self.address,
                        DLKIT_DAEMON_BIN=self.dlkitd_bin)
        self.pid = None  # known once started

    def dlctl(self, *argv, check=True):
        result = subprocess.run([self.dlctl_bin, *argv], env=self.env, capture_output=True,
                                text=True)
        if check and result.returncode != 0:
            sys.exit(f"{self.name}: dlctl {' '.join(argv)} failed:\n{result.stdout}"
                     f"{result.stderr}")
        return result

    def start(self):
        self.dlctl("daemon", "start")
        status = json.loads(self.dlctl("daemon", "status", "--output", "json").stdout)
        self.pid = int(status["pid"])

    def cpu_seconds(self):
        """User + system CPU the daemon (Launcher, Managers, in-process Tuner) has used."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # after "pid (comm)"
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.dlctl("daemon", "stop", check=False)
        try:  # still there if the stop failed; only if the pid is still our daemon
            with open(f"/proc/{self.pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0].decode() == self.dlkitd_bin:
                    os.kill(self.pid, signal.SIGTERM)
        except (OSError, TypeError):
            pass  # never started, or gone
        if self.args.keep_home:
            print(f"DLKIT_HOME kept: {self.home}", file=sys.stderr)
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def submit_watch(self, config, filename):
        """Writes `config` to DLKIT_HOME/filename and runs `dlctl submit FILE --watch`.

        Returns (experiment id, wall seconds from the submit until the watch ended).
        """
        path = os.path.join(self.home, filename)
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
        start = time.perf_counter()
        result = self.dlctl("submit", path, "--watch")
        seconds = time.perf_counter() - start
        match = re.search(r"experiment (\S+) submitted", result.stdout)
        if not match:
            sys.exit(f"{self.name}: no experiment id in:\n{result.stdout}")
        return match.group(1), seconds

    def status(self, experiment_id):
        """`dlctl status ID --output json` as a dict."""
        status = json.loads(self.dlctl("status", experiment_id, "--output", "json").stdout)
        return status[0] if isinstance(status, list) else status

    def trials(self, experiment_id):
        """`dlctl trials ID --output json`: a list of dicts (see cli/README.md)."""
        return json.loads(self.dlctl("trials", experiment_id, "--output", "json").stdout)

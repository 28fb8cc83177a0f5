#!/usr/bin/python3
"""Trial turnaround: what dlkit adds on top of simply starting the trial processes.

For each concurrency C (default 1 and 2), in the same run on the same machine:

  plain  -- `/usr/bin/python3 -c 'import dlkit, grpc'` run TRIALS times, in C parallel lanes
            (each lane one process after another);
  dlkit  -- `dlctl submit --watch` of an experiment of TRIALS trials (Random over a tiny
            space, trialConcurrency C) whose script only imports dlkit and reports one final
            result, timed on the wall clock from the submit until the watch sees DONE.

ratio = dlkit / plain; the goal is <= 1.15. The daemon is started once, before any timing,
in a fresh DLKIT_HOME; every measurement is preceded by a small warm-up of the same kind.

Run from anywhere after `bazel build //cli:dlctl //services/daemon:dlkitd`:

    /usr/bin/python3 bench/turnaround/turnaround.py             # 200 trials, C = 1 and 2
    /usr/bin/python3 bench/turnaround/turnaround.py --trials 20 # a quick look
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import common  # noqa: E402  (bench/common.py)

PYTHON = common.PYTHON


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=200, help="trials per measurement (200)")
    p.add_argument("--concurrency", default="1,2", help="comma-separated list (1,2)")
    p.add_argument("--repeat", type=int, default=1,
                   help="measure each concurrency this many times, alternating plain/dlkit")
    common.add_daemon_args(p)  # --pythonpath is also what the plain runs import
    args = p.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c]
    if args.trials < 1 or not args.concurrency or min(args.concurrency) < 1:
        p.error("--trials and every --concurrency must be >= 1")
    common.check_daemon_args(p, args)
    return args


PLAIN = "import dlkit, grpc"
# What the SDK adds inside any process before its first call: a channel (grpc's core and its
# threads start here; the SDK imports no generated module on this path). No server: a lower
# bound of what any trial that talks gRPC costs.
SDK_FLOOR = "import dlkit, grpc; grpc.insecure_channel('unix:///nonexistent/reporter.sock')"


def run_plain(trials, lanes, env, code=PLAIN):
    """Wall seconds for `trials` interpreter starts running `code` in `lanes` parallel lanes."""
    command = [PYTHON, "-c", code]
    counts = [trials // lanes + (1 if i < trials % lanes else 0) for i in range(lanes)]
    failures = []

    def lane(n):
        for _ in range(n):
            if subprocess.run(command, env=env).returncode != 0:
                failures.append(n)

    threads = [threading.Thread(target=lane, args=(n,)) for n in counts]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    if failures:
        sys.exit(f"turnaround: {len(failures)} plain runs failed (is --pythonpath right?)")
    return seconds


class Dlkit(common.Daemon):
    def __init__(self, args):
        super().__init__(args, "turnaround")

    def experiment(self, trials, concurrency):
        """(wall seconds from submit to DONE, the experiment's own elapsed seconds)."""
        config = {
            "experimentName": f"turnaround-c{concurrency}",
            "searchSpace": {"x": {"_type": "uniform", "_value": [0.0, 1.0]}},
            "trialCommand": f"{PYTHON} trial.py",
            "trialCodeDirectory": HERE,
            "trialConcurrency": concurrency,
            "maxTrialNumber": trials,
            "maxExperimentDuration": "2h",
            "tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize"}},
            "seed": 1,
        }
        experiment_id, seconds = self.submit_watch(config,
                                                   f"turnaround-{trials}-c{concurrency}.json")
        status = self.status(experiment_id)
        succeeded = status["trials"]["succeeded"]
        if status["status"] != "DONE" or succeeded != trials:
            failed = self.dlctl("trials", experiment_id, "--status", "failed,killed",
                                check=False).stdout
            first = re.search(r"^\s*\d+\s+(\S+)", failed.split("\n", 1)[-1], re.M)
            log = self.dlctl("logs", experiment_id, first.group(1), check=False).stdout \
                if first else ""
            sys.exit(f"turnaround: experiment {experiment_id} ended {status['status']} with "
                     f"{succeeded}/{trials} trials succeeded ({status.get('reason')})\n"
                     f"{failed}\nlog of the first:\n{log[-3000:]}")
        return seconds, status["elapsed_s"]


def main():
    args = parse_args()
    plain_env = dict(os.environ, PYTHONPATH=args.pythonpath)
    dlkit = Dlkit(args)
    rows = []
    load_before = f"{os.getloadavg()[0]:.2f}"
    try:
        dlkit.start()
        warm = min(4, args.trials)
        for c in args.concurrency:
            for r in range(args.repeat):
                # Alternate which goes first so a drifting machine does not favour one side.
                order = ("plain", "dlkit") if r % 2 == 0 else ("dlkit", "plain")
                result = {"c": c}
                for kind in order:
                    if kind == "plain":
                        run_plain(warm, c, plain_env)
                        result["plain"] = run_plain(args.trials, c, plain_env)
                        result["floor"] = run_plain(args.trials, c, plain_env, SDK_FLOOR)
                    else:
                        dlkit.experiment(warm, c)
                        result["wall"], result["elapsed"] = dlkit.experiment(args.trials, c)
                rows.append(result)
                print(f"  C={c}: plain {result['plain']:.2f} s, dlkit {result['wall']:.2f} s",
                      file=sys.stderr, flush=True)
    finally:
        dlkit.stop()  # and removes its folder unless --keep-home

    n = args.trials
    print(f"\ntrial turnaround, {n} trials per run, {os.cpu_count()} CPUs, load average "
          f"{load_before} before, {os.getloadavg()[0]:.2f} after (goal: dlkit / plain <= 1.15)\n")
    header = (f"{'C':>2}  {'run':>5}  {'plain s':>8}  {'dlkit s':>8}  {'ratio':>6}  {'goal':>6}  "
              f"{'plain ms/trial':>14}  {'dlkit ms/trial':>14}  {'added ms/trial':>14}  "
              f"{'manager elapsed s':>17}  {'sdk floor s':>11}  {'floor ratio':>11}")
    print(header)
    print("-" * len(header))

    def line(c, label, plain, wall, elapsed, floor):
        ratio = wall / plain
        plain_ms, dlkit_ms = plain / n * 1000, wall / n * 1000
        elapsed_text = f"{elapsed:>17.2f}" if elapsed is not None else f"{'':>17}"
        print(f"{c:>2}  {label:>5}  {plain:>8.2f}  {wall:>8.2f}  {ratio:>6.3f}  "
              f"{'met' if ratio <= 1.15 else 'MISSED':>6}  {plain_ms:>14.1f}  "
              f"{dlkit_ms:>14.1f}  {dlkit_ms - plain_ms:>14.1f}  {elapsed_text}  {floor:>11.2f}  "
              f"{floor / plain:>11.3f}")

    for c in args.concurrency:
        mine = [row for row in rows if row["c"] == c]
        for i, row in enumerate(mine):
            line(c, f"#{i + 1}", row["plain"], row["wall"], row["elapsed"], row["floor"])
        if len(mine) > 1:
            # The machine is shared: the fastest run of each side is the least disturbed one.
            line(c, "best", min(r["plain"] for r in mine), min(r["wall"] for r in mine), None,
                 min(r["floor"] for r in mine))
    print("\nplain: `/usr/bin/python3 -c 'import dlkit, grpc'` in C lanes; dlkit: wall clock "
          "of `dlctl submit --watch` (daemon already running); manager elapsed: the "
          "experiment's own running time; best: fastest of each over the runs.\nsdk floor: "
          "the plain command plus what the SDK does before its first call (open a "
          "channel), same lanes, no server: the part of the gap that is the trial's "
          "own Python, before any dlkit process is involved.")

if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Time per ask, end to end: a Python client's `Study.ask()` over gRPC to a real dlkitd.

`tuner_latency` times `Suggest` alone, in-process. This times what an ask/tell user waits
for: the SDK's `AskTrials` call to the daemon's Manager, which asks the Tuner for one
suggestion on the whole history, stores the new trial in SQLite and answers. The search
space is the 6-d one of `tuner_latency_main.cc`; the history is N finished trials with
random parameters (the tuner's own startup phase, set to N trials, draws them) and the
values of the same smooth function. Then ASKS asks are timed, each followed by its tell
(not timed), so the history holds N to N + ASKS - 1 finished trials.

    bazel build //cli:dlctl //services/daemon:dlkitd //services/reporter:dlkit-reporter
    /usr/bin/python3 bench/latency/ask_latency.py                    # TPE @100/1,000/10,000, GP @100/500
    /usr/bin/python3 bench/latency/ask_latency.py --runs TPE:100,GP:100 --asks 5   # quick look

The binaries are bazel-bin's (fastbuild, as tools/build.sh ships them) unless --dlctl,
--dlkitd, --reporter and --pythonpath point elsewhere.
"""

import argparse
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

SPACE = {
    "lr": {"_type": "loguniform", "_value": [1e-5, 1e-1]},
    "dropout": {"_type": "uniform", "_value": [0, 0.5]},
    "momentum": {"_type": "uniform", "_value": [0.8, 0.99]},
    "init": {"_type": "normal", "_value": [0, 1]},
    "layers": {"_type": "randint", "_value": [1, 9]},
    "activation": {"_type": "choice", "_value": ["relu", "tanh", "gelu"]},
}
# The classArg that makes each tuner draw its first N suggestions at random.
STARTUP_ARG = {"TPE": "n_startup_jobs", "GP": "cold_start_num"}


def objective(p):
    """tuner_latency_main.cc's: smooth, its maximum inside the space."""
    lr = math.log10(p["lr"]) + 3
    bonus = {"gelu": 0.1, "relu": 0.05}.get(p["activation"], 0)
    return -((lr ** 2) + (p["dropout"] - 0.2) ** 2 + ((p["momentum"] - 0.9) * 10) ** 2 +
             0.5 * (p["init"] - 0.3) ** 2 + ((p["layers"] - 4) / 4) ** 2) + bonus


def parse_runs(text, parser):
    runs = []
    for item in text.split(","):
        tuner, _, count = item.partition(":")
        if tuner not in STARTUP_ARG or not count.isdigit() or int(count) < 1:
            parser.error(f"--runs: expected TUNER:N with TUNER one of "
                         f"{', '.join(STARTUP_ARG)} and N >= 1, got {item!r}")
        runs.append((tuner, int(count)))
    return runs


def measure(dlkit, address, tuner, finished, asks):
    """Fills a study with `finished` told trials, then times `asks` asks (seconds each)."""
    study = dlkit.Study.create(SPACE, tuner=tuner, tuner_args={STARTUP_ARG[tuner]: finished},
                               direction="maximize", seed=7, name=f"{tuner}-{finished}",
                               address=address)
    start = time.perf_counter()
    for i in range(finished):
        trial = study.ask()
        study.tell(trial, objective(trial.params))
        if (i + 1) % 2000 == 0:
            print(f"  {tuner}: {i + 1}/{finished} trials told "
                  f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
    seconds = []
    for _ in range(asks):
        t0 = time.perf_counter()
        trial = study.ask()
        seconds.append(time.perf_counter() - t0)
        study.tell(trial, objective(trial.params))
    study.close()
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", default="TPE:100,TPE:1000,TPE:10000,GP:100,GP:500",
                        help="comma-separated TUNER:FINISHED_TRIALS (TPE, GP)")
    parser.add_argument("--asks", type=int, default=20, help="timed asks per run (20)")
    common.add_daemon_args(parser)
    args = parser.parse_args()
    runs = parse_runs(args.runs, parser)
    if args.asks < 1:
        parser.error("--asks: expected at least 1")
    common.check_daemon_args(parser, args)

    daemon = common.Daemon(args, "ask-latency")
    rows = []
    try:
        daemon.start()
        sys.path.insert(0, os.path.join(daemon.root, "install", "python"))
        import dlkit
        for tuner, finished in runs:
            print(f"{tuner} with {finished} finished trials: filling, then {args.asks} asks",
                  file=sys.stderr, flush=True)
            seconds = measure(dlkit, daemon.address, tuner, finished, args.asks)
            ms = sorted(1000 * s for s in seconds)
            rows.append((tuner, finished, statistics.median(ms), ms[0],
                         ms[min(len(ms) - 1, math.ceil(0.9 * len(ms)) - 1)]))
    finally:
        daemon.stop()

    print(f"\n{args.asks} timed asks per row (each followed by its tell), "
          f"daemon {args.dlkitd}\n")
    print("| tuner | finished trials | ask, ms: median | min | p90 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for tuner, finished, median, low, p90 in rows:
        print(f"| {tuner} | {finished:,} | {median:.2f} | {low:.2f} | {p90:.2f} |")


if __name__ == "__main__":
    main()

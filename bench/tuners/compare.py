#!/usr/bin/python3
"""dlkit's tuners against Optuna's samplers on the same test functions, in one run.

Every dlkit tuner is driven through the daemon's ask/tell mode (``dlkit.Study``), one
trial at a time: ask, evaluate, tell. Every Optuna sampler runs in-process the same way
(``study.ask()`` / ``study.tell()``). Each (function, tuner, seed) run records the regret
f(x) - f* of its best trial so far; the report gives the median and the interquartile
range over seeds at 25, 50 and the full number of trials.

Run from anywhere after `bazel build //cli:dlctl //services/daemon:dlkitd`:

    /usr/bin/python3 bench/tuners/compare.py                               # 100 trials x 10 seeds
    /usr/bin/python3 bench/tuners/compare.py --trials 30 --seeds 2 \\
        --functions branin,mixed --tuners dlkit:TPE,optuna:TPE             # quick look

A daemon is started on a free port in a temporary DLKIT_HOME and stopped at the end.
Needs Optuna (Debian's python3-optuna, 3.1) for the optuna:* tuners.
"""

import argparse
import json
import math
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# ---------------------------------------------------------------------------------------
# Test functions. Each: NNI search space, Optuna suggest function, evaluate(params), f*.


def _box(names, low, high):
    return {n: {"_type": "uniform", "_value": [low, high]} for n in names}


def _optuna_box(names, low, high):
    return lambda trial: {n: trial.suggest_float(n, low, high) for n in names}


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, r, s, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


_H6_ALPHA = [1.0, 1.2, 3.0, 3.2]
_H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
         [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
_H6_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(p):
    x = [p["x%d" % i] for i in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(_H6_A[i][j] * (x[j] - _H6_P[i][j] * 1e-4) ** 2 for j in range(6))
        total -= _H6_ALPHA[i] * math.exp(-inner)
    return total


def rosenbrock(p):
    x = [p["x%d" % i] for i in range(5)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(4))


def ackley(p):
    x = [p["x%d" % i] for i in range(5)]
    d = len(x)
    s1 = sum(v * v for v in x) / d
    s2 = sum(math.cos(2 * math.pi * v) for v in x) / d
    return -20 * math.exp(-0.2 * math.sqrt(s1)) - math.exp(s2) + 20 + math.e


# The mixed function: a stand-in for "train a net". The optimiser is a nested choice with
# its own learning rate (log scale) and one momentum-like parameter; the best depth depends
# on the optimiser; dropout's best value depends on depth; the activation is a plain choice.
# f* = 0 at adam, lr 1e-3, beta1 0.9, layers 6, dropout 0.3, relu.
_MIXED_OPTIMIZERS = {
    # name: (offset, lr range, best log10 lr, second parameter, its range, its best, best layers)
    "sgd": (0.3, [1e-4, 1.0], -1.0, "momentum", [0.0, 0.99], 0.9, 3),
    "adam": (0.0, [1e-5, 1e-1], -3.0, "beta1", [0.5, 0.999], 0.9, 6),
    "rmsprop": (0.15, [1e-5, 1e-1], -3.5, "rho", [0.5, 0.999], 0.95, 4),
}
_MIXED_ACTIVATION = {"relu": 0.0, "tanh": 0.1, "sigmoid": 0.3}


def _mixed_space():
    options = []
    for name, (_, lr, _, second, second_range, _, _) in _MIXED_OPTIMIZERS.items():
        options.append({"_name": name, "lr": {"_type": "loguniform", "_value": lr},
                        second: {"_type": "uniform", "_value": second_range}})
    return {"optimizer": {"_type": "choice", "_value": options},
            "layers": {"_type": "randint", "_value": [1, 9]},          # 1..8
            "dropout": {"_type": "uniform", "_value": [0.0, 0.8]},
            "activation": {"_type": "choice", "_value": list(_MIXED_ACTIVATION)}}


def _mixed_optuna(trial):
    name = trial.suggest_categorical("optimizer", list(_MIXED_OPTIMIZERS))
    _, lr, _, second, second_range, _, _ = _MIXED_OPTIMIZERS[name]
    return {"optimizer": {"_name": name,
                          "lr": trial.suggest_float(name + "_lr", lr[0], lr[1], log=True),
                          second: trial.suggest_float(name + "_" + second, *second_range)},
            "layers": trial.suggest_int("layers", 1, 8),
            "dropout": trial.suggest_float("dropout", 0.0, 0.8),
            "activation": trial.suggest_categorical("activation", list(_MIXED_ACTIVATION))}


def mixed(p):
    opt = p["optimizer"]
    offset, _, best_lr, second, _, best_second, best_layers = _MIXED_OPTIMIZERS[opt["_name"]]
    layers = int(p["layers"])
    return (offset + 0.5 * (math.log10(opt["lr"]) - best_lr) ** 2
            + 4.0 * (opt[second] - best_second) ** 2
            + 0.05 * (layers - best_layers) ** 2
            + 2.0 * (p["dropout"] - 0.05 * layers) ** 2
            + _MIXED_ACTIVATION[p["activation"]])


_X6 = ["x%d" % i for i in range(6)]
_X5 = ["x%d" % i for i in range(5)]
FUNCTIONS = {
    # name: (NNI space, Optuna suggest, f, f*, continuous only)
    "branin": ({"x1": {"_type": "uniform", "_value": [-5.0, 10.0]},
                "x2": {"_type": "uniform", "_value": [0.0, 15.0]}},
               lambda t: {"x1": t.suggest_float("x1", -5.0, 10.0),
                          "x2": t.suggest_float("x2", 0.0, 15.0)},
               branin, 0.397887357729738, True),
    "hartmann6": (_box(_X6, 0.0, 1.0), _optuna_box(_X6, 0.0, 1.0), hartmann6,
                  -3.32236801141551, True),
    "rosenbrock5": (_box(_X5, -2.0, 2.0), _optuna_box(_X5, -2.0, 2.0), rosenbrock, 0.0, True),
    "ackley5": (_box(_X5, -32.768, 32.768), _optuna_box(_X5, -32.768, 32.768), ackley, 0.0,
                True),
    "mixed": (_mixed_space(), _mixed_optuna, mixed, 0.0, False),
}

DLKIT_TUNERS = ["TPE", "GP", "CMAES", "Random", "Sobol", "Anneal", "Evolution"]
OPTUNA_TUNERS = ["TPE", "TPE-multivariate", "CmaEs", "Random"]
ALL_TUNERS = (["dlkit:" + t for t in DLKIT_TUNERS] + ["optuna:" + t for t in OPTUNA_TUNERS])


def _optuna_sampler(name, seed):
    import optuna
    if name == "TPE":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "TPE-multivariate":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if name == "CmaEs":
        return optuna.samplers.CmaEsSampler(seed=seed)
    if name == "Random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(name)


def applicable(function, tuner):
    # Optuna's CmaEsSampler would fall back to random sampling for every categorical and
    # conditional parameter; dlkit's CMAES is kept on the mixed function (it samples the
    # choices at random, and the brief accepts that).
    return FUNCTIONS[function][4] or tuner != "optuna:CmaEs"


# ---------------------------------------------------------------------------------------
# One run: (function, tuner, seed) -> list of f(x) in trial order.


def run_one(job):
    function, tuner, seed, trials, address = job
    space, suggest, f, f_star, _ = FUNCTIONS[function]
    values = []
    start = time.monotonic()
    try:
        kind, name = tuner.split(":", 1)
        if kind == "dlkit":
            import dlkit
            # Seeds start at 1: the daemon may read 0 as "no seed".
            study = dlkit.Study.create(space, tuner=name, direction="minimize",
                                       max_trials=trials, seed=seed + 1, address=address,
                                       name="bench-%s-%s-%d" % (function, name, seed))
            try:
                for _ in range(trials):
                    trial = study.ask()
                    value = f(trial.params)
                    study.tell(trial, value)
                    values.append(value)
            finally:
                study.close()
        else:
            import optuna
            optuna.logging.set_verbosity(optuna.logging.ERROR)
            study = optuna.create_study(direction="minimize",
                                        sampler=_optuna_sampler(name, seed + 1))
            for _ in range(trials):
                trial = study.ask()
                value = f(suggest(trial))
                study.tell(trial, value)
                values.append(value)
        error = None
    except Exception as err:  # a tuner that fails is reported, not fatal for the run
        error = "%s: %s" % (type(err).__name__, str(err).splitlines()[0][:200])
    return {"function": function, "tuner": tuner, "seed": seed, "values": values,
            "f_star": f_star, "seconds": time.monotonic() - start, "error": error}


# ---------------------------------------------------------------------------------------
# Daemon.


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, args):
        self.args = args
        self.home = tempfile.mkdtemp(prefix="dlkit-bench-tuners-")
        self.address = "127.0.0.1:%d" % free_port()
        # The Studies this process (and its workers) opens find the daemon's token here.
        os.environ["DLKIT_HOME"] = self.home
        self.env = dict(os.environ, DLKIT_HOME=self.home, DLKIT_ADDRESS=self.address,
                        DLKIT_DAEMON_BIN=args.dlkitd)

    def dlctl(self, *argv, check=True):
        result = subprocess.run([self.args.dlctl, *argv, "--address", self.address],
                                env=self.env, capture_output=True, text=True)
        if check and result.returncode != 0:
            sys.exit("compare: dlctl %s failed:\n%s%s" % (" ".join(argv), result.stdout,
                                                           result.stderr))
        return result

    def start(self):
        self.dlctl("daemon", "start")

    def stop(self):
        self.dlctl("daemon", "stop", check=False)
        if not self.args.keep_home:
            shutil.rmtree(self.home, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Report.


def best_so_far_regret(run, n):
    values = run["values"][:n]
    if len(values) < n:
        return None
    return max(0.0, min(values) - run["f_star"])


def quantiles(xs):
    xs = sorted(xs)

    def q(p):
        pos = p * (len(xs) - 1)
        lo, hi = int(math.floor(pos)), int(math.ceil(pos))
        return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
    return q(0.25), q(0.5), q(0.75)


def fmt(x):
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return "%.0f" % x
    if abs(x) >= 1e-3:
        return "%.3g" % x
    return "%.1e" % x


def summarize(results, checkpoints):
    """{(function, tuner): {"cells": {n: (q1, med, q3) or None}, "seeds", "seconds", "errors"}}"""
    groups = {}
    for run in results:
        groups.setdefault((run["function"], run["tuner"]), []).append(run)
    summary = {}
    for key, runs in groups.items():
        cells = {}
        for n in checkpoints:
            regrets = [best_so_far_regret(r, n) for r in runs if r["error"] is None]
            regrets = [r for r in regrets if r is not None]
            cells[n] = quantiles(regrets) if regrets else None
        summary[key] = {"cells": cells, "regrets": {
            n: [best_so_far_regret(r, n) for r in runs if r["error"] is None] for n in checkpoints},
            "seeds": sum(1 for r in runs if r["error"] is None),
            "seconds": sum(r["seconds"] for r in runs) / max(1, len(runs)),
            "errors": sorted({r["error"] for r in runs if r["error"]})}
    return summary


def _mannwhitney_less(a, b):
    """One-sided p-value that a tends to be smaller than b (None without scipy)."""
    try:
        from scipy.stats import mannwhitneyu
        return mannwhitneyu(a, b, alternative="less").pvalue
    except Exception:
        return None


def report(summary, functions, tuners, checkpoints):
    lines = []
    head = "| function | tuner | seeds | " + " | ".join(
        "regret @%d: median [IQR]" % n for n in checkpoints) + " | s/run |"
    lines.append(head)
    lines.append("|" + " --- |" * (4 + len(checkpoints)))
    last = checkpoints[-1]
    for function in functions:
        rows = [t for t in tuners if (function, t) in summary]
        best_final = {}
        for prefix in ("dlkit:", "optuna:"):
            scored = [(summary[(function, t)]["cells"][last][1],
                       summary[(function, t)]["cells"][checkpoints[len(checkpoints) // 2]][1], t)
                      for t in rows if t.startswith(prefix) and summary[(function, t)]["cells"][last]]
            if scored:
                best_final[prefix] = min(scored)[2]
        for t in rows:
            s = summary[(function, t)]
            cells = []
            for n in checkpoints:
                c = s["cells"][n]
                cells.append("—" if c is None else "%s [%s–%s]" % (fmt(c[1]), fmt(c[0]), fmt(c[2])))
            label = t + (" **best**" if t in best_final.values() else "")
            if s["errors"]:
                label += " (error: %s)" % s["errors"][0]
            lines.append("| %s | %s | %d | %s | %.2f |" % (function, label, s["seeds"],
                                                            " | ".join(cells), s["seconds"]))
    lines.append("")
    lines.append("Per function, at %d trials (median regret; p = one-sided Mann-Whitney "
                 "that the first is lower than the second):" % last)
    lines.append("")
    lines.append("| function | best dlkit tuner | median | best Optuna sampler | median | "
                 "dlkit TPE | Optuna TPE | TPE: p(dlkit < optuna) | TPE: p(optuna < dlkit) |")
    lines.append("|" + " --- |" * 9)
    for function in functions:
        def best(prefix):
            scored = [(summary[(function, t)]["cells"][last][1], t) for t in tuners
                      if t.startswith(prefix) and (function, t) in summary
                      and summary[(function, t)]["cells"][last]]
            return min(scored) if scored else (float("nan"), "—")
        bd, bo = best("dlkit:"), best("optuna:")
        a, b = summary.get((function, "dlkit:TPE")), summary.get((function, "optuna:TPE"))
        if a and b and a["cells"][last] and b["cells"][last]:
            ra, rb = a["regrets"][last], b["regrets"][last]
            p1, p2 = _mannwhitney_less(ra, rb), _mannwhitney_less(rb, ra)
            tpe = (fmt(a["cells"][last][1]), fmt(b["cells"][last][1]),
                   "—" if p1 is None else "%.3f" % p1, "—" if p2 is None else "%.3f" % p2)
        else:
            tpe = ("—",) * 4
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            function, bd[1], fmt(bd[0]), bo[1], fmt(bo[0]), *tpe))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=100, help="trials per run (100)")
    p.add_argument("--seeds", type=int, default=10, help="seeds per function x tuner (10)")
    p.add_argument("--gp-seeds", type=int, default=None,
                   help="seeds for dlkit:GP, the slowest tuner (default: --seeds)")
    p.add_argument("--functions", default=",".join(FUNCTIONS),
                   help="comma-separated subset of: " + ",".join(FUNCTIONS))
    p.add_argument("--tuners", default=",".join(ALL_TUNERS),
                   help="comma-separated subset of: " + ",".join(ALL_TUNERS))
    p.add_argument("--jobs", type=int, default=2, help="runs in parallel (2)")
    p.add_argument("--out", default=None, help="write every run's values to this JSON file")
    p.add_argument("--dlctl", default=os.path.join(REPO, "bazel-bin/cli/dlctl"))
    p.add_argument("--dlkitd", default=os.path.join(REPO, "bazel-bin/services/daemon/dlkitd"))
    p.add_argument("--pythonpath",
                   default=os.path.join(REPO, "bazel-bin/services/daemon/dlkitd.runfiles/"
                                              "dlkit/client/python"))
    p.add_argument("--keep-home", action="store_true", help="keep the temporary DLKIT_HOME")
    args = p.parse_args()
    args.functions = [f for f in args.functions.split(",") if f]
    args.tuners = [t for t in args.tuners.split(",") if t]
    for f in args.functions:
        if f not in FUNCTIONS:
            p.error("unknown function %r; known: %s" % (f, ", ".join(FUNCTIONS)))
    for t in args.tuners:
        if t not in ALL_TUNERS:
            p.error("unknown tuner %r; known: %s" % (t, ", ".join(ALL_TUNERS)))
    if args.trials < 1 or args.seeds < 1 or args.jobs < 1:
        p.error("--trials, --seeds and --jobs must be >= 1")
    if any(t.startswith("dlkit:") for t in args.tuners):
        for path in (args.dlctl, args.dlkitd):
            if not os.access(path, os.X_OK):
                p.error("%s is not built: bazel build //cli:dlctl //services/daemon:dlkitd" % path)
    return args


def main():
    args = parse_args()
    sys.path.insert(0, args.pythonpath)
    os.environ["PYTHONPATH"] = args.pythonpath + os.pathsep + os.environ.get("PYTHONPATH", "")
    checkpoints = sorted({n for n in (25, 50, args.trials) if n <= args.trials})
    daemon = Daemon(args) if any(t.startswith("dlkit:") for t in args.tuners) else None
    if daemon:
        daemon.start()
    address = daemon.address if daemon else None
    jobs = []
    for function in args.functions:
        for tuner in args.tuners:
            if not applicable(function, tuner):
                continue
            seeds = args.seeds
            if tuner == "dlkit:GP" and args.gp_seeds is not None:
                seeds = args.gp_seeds
            jobs.extend((function, tuner, seed, args.trials, address) for seed in range(seeds))
    # The daemon serves one study at a time here: with two studies asking at once, calls
    # stalled past the 60 s deadline (seen on this daemon), so dlkit runs go in one lane
    # and Optuna runs (in-process) in the others.
    dlkit_jobs = [j for j in jobs if j[1].startswith("dlkit:")]
    optuna_jobs = [j for j in jobs if j[1].startswith("optuna:")]
    results = []
    start = time.monotonic()
    total = len(jobs)

    def done(run):
        results.append(run)
        final = best_so_far_regret(run, len(run["values"])) if run["values"] else None
        print("[%4d/%d %6.0fs] %-12s %-24s seed %d: %.2fs regret %s%s" % (
            len(results), total, time.monotonic() - start, run["function"], run["tuner"],
            run["seed"], run["seconds"], "—" if final is None else fmt(final),
            " ERROR " + run["error"] if run["error"] else ""), file=sys.stderr, flush=True)

    try:
        with multiprocessing.Pool(1) as dlkit_pool, \
                multiprocessing.Pool(max(1, args.jobs - 1)) as optuna_pool:
            pending = [dlkit_pool.apply_async(run_one, (j,), callback=done) for j in dlkit_jobs]
            pending += [optuna_pool.apply_async(run_one, (j,), callback=done)
                        for j in optuna_jobs]
            for p in pending:
                p.wait()
    finally:
        if daemon:
            daemon.stop()
        if args.out:
            with open(args.out, "w") as fh:
                json.dump({"args": {k: v for k, v in vars(args).items()}, "results": results},
                          fh)
    summary = summarize(results, checkpoints)
    print("%d trials x %d seeds%s; %d runs in %.0f s with %d jobs\n" % (
        args.trials, args.seeds,
        "" if args.gp_seeds is None else " (dlkit:GP: %d seeds)" % args.gp_seeds,
        len(results), time.monotonic() - start, args.jobs))
    print(report(summary, args.functions, args.tuners, checkpoints))


if __name__ == "__main__":
    main()

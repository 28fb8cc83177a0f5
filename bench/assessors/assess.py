#!/usr/bin/python3
"""Early-stopping assessors: epochs saved, and what it costs in the best result found.

Every arm runs the same experiment through a real daemon (`dlctl submit --watch`): the
digits-pytorch example (its train.py asks dlkit.should_stop() after each epoch) over
the example's search space with `epochs` fixed, Random search seeded so that trial i gets
the same parameters in every arm, the same trial budget and concurrency. Arms: no
assessor, Medianstop (two start_steps), ASHA, Curvefitting (two thresholds; classArgs in
assessors() below). Per arm and seed: epochs run (intermediate results stored) against
trials x epochs, the best accuracy found (an early-stopped trial counts with its last
intermediate result) and the wall clock.

Goal per assessor: >= 40% of epochs saved, with the best accuracy within noise of no
assessor: on every seed, best(assessor) >= best(none) - NOISE (0.01 accuracy; see --noise).

Run from anywhere after `bazel build //cli:dlctl //services/daemon:dlkitd`:

    /usr/bin/python3 bench/assessors/assess.py            # 30 trials x 3 seeds x 5 arms
    /usr/bin/python3 bench/assessors/assess.py --quick    # 12 trials x 1 seed
"""
import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import common  # noqa: E402  (bench/common.py)

EXAMPLE = os.path.join(common.REPO, "examples", "digits-pytorch")
NONE = "none"


def assessors(epochs):
    """arm name -> the config's `assessor` (None: no assessor). What a user would write for
    a 20-epoch run, not values tuned on this benchmark."""
    def maximize(name, **class_args):
        return {"name": name, "classArgs": {"optimize_mode": "maximize", **class_args}}

    def curvefitting(threshold):
        # NNI's defaults but the threshold, with the number of epochs to extrapolate to.
        return maximize("Curvefitting", epoch_num=epochs, start_step=6, threshold=threshold,
                        gap=1)

    return {
        NONE: None,
        # Judge only after a quarter of the epochs: early SGD epochs say little.
        "Medianstop": maximize("Medianstop", start_step=5),
        # NNI's default start_step (judged from the first report on), as Curvefitting's
        # arm takes NNI's defaults.
        "Medianstop-default": maximize("Medianstop"),
        # Rungs at 2, 6, 18 epochs; 1/3 go on at each. Not 1: after one epoch a small
        # learning rate is still near chance.
        "ASHA": maximize("ASHA", min_resource=2, max_resource=epochs, reduction_factor=3),
        "Curvefitting": curvefitting(0.95),  # NNI's default threshold
        # For a metric near 1 (accuracy), NNI's 0.95 x best is a 5-point margin: most
        # trials clear it. 0.98 asks a trial's extrapolated end to come within 2%.
        "Curvefitting-0.98": curvefitting(0.98),
    }


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=30, help="maxTrialNumber of every arm (30)")
    p.add_argument("--seeds", type=int, default=3, help="tuner seeds 1..N (3)")
    p.add_argument("--epochs", type=int, default=20, help="epochs of every trial (20)")
    p.add_argument("--concurrency", type=int, default=2, help="trialConcurrency (2)")
    p.add_argument("--arms", default="none,Medianstop,Medianstop-default,ASHA,Curvefitting",
                   help="comma-separated; `none` is needed for the verdicts")
    p.add_argument("--noise", type=float, default=0.01,
                   help="how far below no assessor's best an arm's best may be (0.01)")
    p.add_argument("--quick", action="store_true", help="--trials 12 --seeds 1")
    p.add_argument("--out", help="write every trial's record here as JSON")
    common.add_daemon_args(p)
    args = p.parse_args()
    if args.quick:
        args.trials, args.seeds = 12, 1
    known = assessors(args.epochs)
    args.arms = [a for a in args.arms.split(",") if a]
    for arm in args.arms:
        if arm not in known:
            p.error(f"unknown arm {arm!r}; known: {', '.join(known)}")
    if args.trials < 1 or args.seeds < 1 or args.epochs < 3 or args.concurrency < 1:
        p.error("--trials, --seeds, --concurrency must be >= 1 and --epochs >= 3")
    common.check_daemon_args(p, args)
    return args


def experiment_config(args, arm, seed):
    with open(os.path.join(EXAMPLE, "dlkit-tune.json")) as f:
        space = json.load(f)["searchSpace"]
    # Every trial gets the same maximum budget.
    space["epochs"] = {"_type": "choice", "_value": [args.epochs]}
    command, directory = f"{common.PYTHON} train.py", EXAMPLE
    config = {
        "experimentName": f"assessors-{arm}-seed{seed}",
        "searchSpace": space,
        "trialCommand": command,
        "trialCodeDirectory": directory,
        "trialConcurrency": args.concurrency,
        "maxTrialNumber": args.trials,
        "maxExperimentDuration": "1h",
        # Random draws trial i's parameters from (seed, i) alone: the same in every arm.
        "tuner": {"name": "Random", "classArgs": {"optimize_mode": "maximize", "seed": seed}},
        "seed": seed,
    }
    assessor = assessors(args.epochs)[arm]
    if assessor is not None:
        config["assessor"] = assessor
    return config


def run_arm(daemon, args, arm, seed):
    config = experiment_config(args, arm, seed)
    cpu_before = daemon.cpu_seconds()
    experiment_id, wall = daemon.submit_watch(config, f"{arm}-seed{seed}.json")
    daemon_cpu = daemon.cpu_seconds() - cpu_before
    status = daemon.status(experiment_id)
    trials = []
    for t in sorted(daemon.trials(experiment_id), key=lambda t: t["index"]):
        series = t["intermediate"] or []
        value = t["final"] if t["final"] is not None else (series[-1] if series else None)
        trials.append({"index": t["index"], "status": t["status"], "epochs": len(series),
                       "value": value, "final": t["final"], "parameters": t["parameters"],
                       "duration_s": t["duration_s"], "reason": t["reason"]})
    bad = [t for t in trials if t["status"] not in ("SUCCEEDED", "EARLY_STOPPED")]
    if status["status"] != "DONE" or len(trials) != args.trials or bad:
        print(f"assessors: {arm} seed {seed}: experiment {experiment_id} ended "
              f"{status['status']} ({status.get('reason')}) with {len(trials)} trials, "
              f"{len(bad)} neither SUCCEEDED nor EARLY_STOPPED: "
              f"{[(t['index'], t['status'], t['reason']) for t in bad][:5]}", file=sys.stderr)
    scored = [t for t in trials if t["value"] is not None]
    best = max(scored, key=lambda t: t["value"]) if scored else None
    return {"arm": arm, "seed": seed, "experiment": experiment_id, "wall_s": wall,
            "elapsed_s": status["elapsed_s"], "daemon_cpu_s": daemon_cpu,
            "state": status["status"], "trials": trials,
            "epochs_run": sum(t["epochs"] for t in trials),
            "epochs_max": args.trials * args.epochs,
            "stopped": sum(t["status"] == "EARLY_STOPPED" for t in trials),
            "best": best["value"] if best else float("nan"),
            "best_index": best["index"] if best else None,
            "failed": len(bad)}


def fmt_range(xs, digits=4):
    xs = sorted(xs)
    if len(xs) == 1:
        return f"{xs[0]:.{digits}f}"
    return f"{statistics.median(xs):.{digits}f} [{xs[0]:.{digits}f}–{xs[-1]:.{digits}f}]"


def report(args, runs, load_before):
    seeds = sorted({r["seed"] for r in runs})
    by = {(r["arm"], r["seed"]): r for r in runs}
    print(f"\nassessors on digits-pytorch: {args.trials} trials x {args.epochs} epochs, "
          f"concurrency {args.concurrency}, Random seeds {seeds[0]}..{seeds[-1]}"
          f"; "
          f"{os.cpu_count()} CPUs, load average {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after\n")

    print("per seed:")
    header = (f"{'arm':<18} {'seed':>4} {'stopped':>7} {'epochs':>7} {'saved':>6} "
              f"{'best acc':>8} {'Δ vs none':>9} {'best #':>6} {'none best #':>11} "
              f"{'wall s':>7} {'dlkitd cpu s':>12}")
    print(header)
    print("-" * len(header))
    for arm in args.arms:
        for seed in seeds:
            r = by[(arm, seed)]
            base = by.get((NONE, seed))
            saved = 1 - r["epochs_run"] / r["epochs_max"]
            delta = f"{r['best'] - base['best']:+.4f}" if base else "-"
            # Did the arm let the no-assessor arm's winner (same parameters) run to the end?
            kept = "-"
            if base and arm != NONE:
                same = [t for t in r["trials"] if t["index"] == base["best_index"]]
                epochs = same[0]["epochs"] if same else 0
                kept = f"{base['best_index']} " + (
                    "ran" if epochs == args.epochs else f"cut@{epochs}")
            print(f"{arm:<18} {seed:>4} {r['stopped']:>7} {r['epochs_run']:>7} "
                  f"{saved:>6.1%} {r['best']:>8.4f} {delta:>9} {r['best_index']:>6} "
                  f"{kept:>11} {r['wall_s']:>7.1f} {r['daemon_cpu_s']:>12.2f}")

    print(f"\nsummary (goal: >= 40% of epochs saved and, on every seed, best >= best(none) "
          f"- {args.noise}):")
    header = (f"{'arm':<18} {'seeds':>5} {'epochs run':>13} {'% saved':>8} "
              f"{'best acc: median [min–max]':>28} {'worst Δ':>8} "
              f"{'wall s: median [min–max]':>26} {'dlkitd cpu s':>12} {'verdict':>8}")
    print(header)
    print("-" * len(header))
    verdicts = {}
    for arm in args.arms:
        mine = [by[(arm, s)] for s in seeds]
        run = sum(r["epochs_run"] for r in mine)
        total = sum(r["epochs_max"] for r in mine)
        saved = 1 - run / total
        deltas = [by[(arm, s)]["best"] - by[(NONE, s)]["best"] for s in seeds
                  if (NONE, s) in by]
        worst = min(deltas) if deltas else None
        verdict = "-"
        if arm != NONE and deltas:
            met = saved >= 0.40 and worst >= -args.noise
            verdict = "met" if met else "MISSED"
            verdicts[arm] = (verdict, saved, worst)
        print(f"{arm:<18} {len(mine):>5} {f'{run}/{total}':>13} {saved:>8.1%} "
              f"{fmt_range([r['best'] for r in mine]):>28} "
              f"{(f'{worst:+.4f}' if worst is not None and arm != NONE else '-'):>8} "
              f"{fmt_range([r['wall_s'] for r in mine], 1):>26} "
              f"{statistics.median(r['daemon_cpu_s'] for r in mine):>12.2f} {verdict:>8}")
    failed = sum(r["failed"] for r in runs)
    print(f"\nepochs run = intermediate results stored; best = max over trials of the final "
          f"result, or the last intermediate one for a stopped trial; Δ = best(arm) - "
          f"best(none) on the same seed (same parameter sets); best # = trial index of the "
          f"arm's best; none best # = the no-assessor winner's index and whether this arm "
          f"let it run all {args.epochs} epochs; wall = submit to DONE; dlkitd cpu = the "
          f"daemon's CPU seconds during the arm (Manager, in-process Tuner and assessor; "
          f"median in the summary)."
          f"{f' {failed} trials neither SUCCEEDED nor EARLY_STOPPED.' if failed else ''}")
    return verdicts


def main():
    args = parse_args()
    load_before = os.getloadavg()[0]
    daemon = common.Daemon(args, "assessors")
    runs = []
    start = time.monotonic()
    try:
        daemon.start()
        for i, seed in enumerate(range(1, args.seeds + 1)):
            # Rotate the order per seed so a drifting machine does not favour one arm's wall.
            order = args.arms[i % len(args.arms):] + args.arms[:i % len(args.arms)]
            for arm in order:
                run = run_arm(daemon, args, arm, seed)
                runs.append(run)
                print(f"[{time.monotonic() - start:6.0f}s] {arm:<18} seed {seed}: "
                      f"{run['epochs_run']}/{run['epochs_max']} epochs, {run['stopped']} "
                      f"stopped, best {run['best']:.4f}, {run['wall_s']:.1f} s",
                      file=sys.stderr, flush=True)
    finally:
        daemon.stop()
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"args": {k: v for k, v in vars(args).items()}, "runs": runs}, f,
                      indent=1)
    report(args, runs, load_before)


if __name__ == "__main__":
    main()

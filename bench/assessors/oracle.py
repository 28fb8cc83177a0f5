#!/usr/bin/python3
"""The most a Curvefitting-style rule could save on a measured run: an oracle that knows
every trial's final accuracy and, at `start_step`, stops exactly the trials that will end
below `threshold` x the best final accuracy of the trials already done.

Reads the no-assessor arms of an `assess.py --out FILE` run (training is deterministic, so
their finals are what any arm's trials would reach) and prints, per threshold, the epochs
such an oracle saves. "Already done" is approximated from the trial order: with
concurrency C, trial i starts as trial i - C ends, so trials 1..i-C have finished when it
is judged. A real predictor saves more than this bound only by also stopping trials that
would have cleared the bar (as it did when it cut a seed's winner).

    /usr/bin/python3 bench/assessors/oracle.py /tmp/assess.json --thresholds 0.95,0.98
"""
import argparse
import json


def oracle_saved(trials, epochs, start_step, threshold, concurrency):
    """Fraction of trials x epochs the oracle saves on one seed's trials (index order)."""
    finals = [t["value"] for t in sorted(trials, key=lambda t: t["index"])]
    saved = 0
    for i, final in enumerate(finals):
        done = finals[:max(0, i + 1 - concurrency)]
        if done and final < threshold * max(done):
            saved += epochs - start_step
    return saved / (epochs * len(finals))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", help="JSON written by assess.py --out, with `none` arms")
    p.add_argument("--thresholds", default="0.9,0.95,0.97,0.98,0.99")
    p.add_argument("--start-step", type=int, default=6, help="NNI's default (6)")
    args = p.parse_args()
    try:
        with open(args.results) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit("%s: cannot read the results: %s" % (args.results, e))
    epochs, concurrency = data["args"]["epochs"], data["args"]["concurrency"]
    runs = [r for r in data["runs"] if r["arm"] == "none"]
    if not runs:
        raise SystemExit("%s: no `none` arm to read the final accuracies from" % args.results)
    print("oracle over %d seeds (%s), %d epochs, judged at step %d, concurrency %d"
          % (len(runs), ",".join(str(r["seed"]) for r in runs), epochs, args.start_step,
             concurrency))
    print("threshold  epochs saved")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        per_seed = [oracle_saved(r["trials"], epochs, args.start_step, threshold, concurrency)
                    for r in runs]
        print("%9g  %11.1f%%  (per seed: %s)"
              % (threshold, 100 * sum(per_seed) / len(per_seed),
                 " ".join("%.1f%%" % (100 * s) for s in per_seed)))


if __name__ == "__main__":
    main()

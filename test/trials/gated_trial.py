"""A trial that runs until the test lets it finish.

It reports one intermediate result (acknowledged once the call returns), writes its record
to --dir, then waits until the file DIR/release exists, and reports the final result of
objective.py. Trials whose index (DLKIT_TRIAL_SEQUENCE) is at most --fast-until do not wait.
After --timeout seconds of waiting it gives up with exit code 4.
"""

import argparse
import os
import sys
import time

import record  # first: notes the start time
import dlkit
import objective


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fast-until", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=150)
    args = parser.parse_args()
    params = dlkit.get_parameter()
    dlkit.report_intermediate_result(objective.intermediate(params, 0))
    record.write(args.dir, params)
    sequence = int(os.environ.get("DLKIT_TRIAL_SEQUENCE", "0"))
    release = os.path.join(args.dir, "release")
    deadline = time.time() + args.timeout
    while sequence > args.fast_until and not os.path.exists(release):
        if time.time() > deadline:
            print("gated_trial: never released", flush=True)
            return 4
        time.sleep(0.05)
    dlkit.report_final_result(objective.final(params))
    record.write(args.dir, params, end=time.time())
    return 0


if __name__ == "__main__":
    sys.exit(main())

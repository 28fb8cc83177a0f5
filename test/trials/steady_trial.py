"""A trial that reports for a while and logs every report the SDK accepted.

Each line of DIR/<trial id>.jsonl is one event: {"start": pid}, then {"step": i, "value": v}
for each intermediate result once dlkit.report_intermediate_result returned, then
{"final": v}. A test compares these with what the daemon stored: what a report call accepted
must be stored exactly once, whatever happened to the daemon meanwhile.
"""

import argparse
import json
import os
import sys
import time

import dlkit
import objective


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.25)
    args = parser.parse_args()
    params = dlkit.get_parameter()
    path = os.path.join(args.dir, "%s.jsonl" % os.environ.get("DLKIT_TRIAL_ID", "standalone"))
    with open(path, "a") as log:
        def note(event: dict) -> None:
            log.write(json.dumps(event) + "\n")
            log.flush()

        note({"start": os.getpid()})
        for step in range(args.steps):
            time.sleep(args.interval)
            value = objective.intermediate(params, step)
            dlkit.report_intermediate_result(value)
            note({"step": step, "value": value})
        final = objective.final(params)
        dlkit.report_final_result(final)
        note({"final": final})
    return 0


if __name__ == "__main__":
    sys.exit(main())

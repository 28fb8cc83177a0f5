"""A tiny trial on the dlkit SDK: per epoch one intermediate result and one loss, then the
final result, all computed by objective.py from its parameters.

  --record DIR  write its record (pid, start and end time) to DIR
  --sleep S     seconds per epoch

With the parameter mode == "crash" it prints a traceback and exits with code 3 instead.
"""

import argparse
import sys
import time
import traceback

import record  # first: notes the start time
import dlkit
import objective


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--record", default="")
    parser.add_argument("--sleep", type=float, default=0.05)
    args = parser.parse_args()
    params = dlkit.get_parameter()
    if args.record:
        record.write(args.record, params)
    print("trial starts with %r" % (params,), flush=True)
    if params.get("mode") == "crash":
        try:
            raise RuntimeError("boom: simulated crash in the training loop")
        except RuntimeError:
            traceback.print_exc()
        return 3
    for epoch in range(objective.epochs(params)):
        dlkit.report_intermediate_result(objective.intermediate(params, epoch))
        dlkit.report_loss(objective.loss(params, epoch))
        time.sleep(args.sleep)
    dlkit.report_final_result(objective.final(params))
    if args.record:
        record.write(args.record, params, end=time.time())
    print("trial done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""NNI trial code, unchanged from what runs under NNI: dict intermediate results whose
"default" entry is the objective, and a plain final result (values from objective.py)."""

import nni

import objective


def main() -> None:
    params = nni.get_next_parameter()
    for epoch in range(2):
        value = objective.intermediate(params, epoch)
        nni.report_intermediate_result({"default": value, "other": -value})
    nni.report_final_result(objective.final(params))
    print("nni trial %s done" % nni.get_trial_id(), flush=True)


if __name__ == "__main__":
    main()

"""A learning curve at a fixed level: reports `level` each epoch for `epochs` epochs, and
stops early (reporting its last value as final) when dlkit says it should."""

import time

import dlkit


def main() -> None:
    params = dlkit.get_parameter()
    level = params["level"]
    for epoch in range(params.get("epochs", 20)):
        dlkit.report_intermediate_result(level)
        if dlkit.should_stop():
            print("asked to stop at epoch %d" % epoch, flush=True)
            return
        time.sleep(0.05)
    dlkit.report_final_result(level)


if __name__ == "__main__":
    main()

"""A tiny trial with no dependencies: 'trains' for a few epochs on a 2-d function.

Runs in well under a second, so it is the example to try dlkit with.
"""
import math
import time

import dlkit


def main():
    params = dlkit.get_parameter()
    x = params.get("x", 0.0)
    y = params.get("y", 0.0)
    optimizer = params.get("optimizer", {"_name": "sgd"})
    epochs = params.get("epochs", 3)
    # A smooth function with its best value 1.0 at x = 0.3, y = -0.2 (and a bonus for adam).
    best = math.exp(-((x - 0.3) ** 2 + (y + 0.2) ** 2))
    if optimizer.get("_name") == "adam":
        best *= 1.0 - 0.1 * abs(math.log10(optimizer.get("beta", 0.9) / 0.9))
    else:
        best *= 0.95
    score = 0.0
    for epoch in range(epochs):
        score = best * (1 - 0.5 ** (epoch + 1))
        dlkit.report_intermediate_result(score)
        dlkit.report_loss(1.0 - score)
        time.sleep(0.05)
    dlkit.report_final_result(score)


if __name__ == "__main__":
    main()

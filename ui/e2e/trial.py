"""A trial for the dashboard test: 40 steps of 0.3 s, so curves visibly grow."""
import time

import dlkit

params = dlkit.get_parameter()
x = params.get("x", 0.5)
width = params.get("width", 8)
value = 0.0
for step in range(40):
    time.sleep(0.3)
    value = 1.0 - (x - 0.3) ** 2 - 0.01 * abs(width - 16) + 0.02 * step
    dlkit.report_intermediate_result(value)
    dlkit.report_loss(1.0 - value)
    print(f"step {step}: value {value:.4f}", flush=True)
dlkit.report_final_result(value)

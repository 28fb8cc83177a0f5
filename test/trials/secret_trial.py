"""A trial that hands its identity to the auth test: writes its trial id and session secret
to $AUTH_TEST_DIR/<trial id>.json, waits for $AUTH_TEST_DIR/release, then reports."""

import json
import os
import time

import dlkit

folder = os.environ["AUTH_TEST_DIR"]
trial_id = os.environ["DLKIT_TRIAL_ID"]
with open(os.path.join(folder, trial_id + ".json.tmp"), "w", encoding="utf-8") as f:
    json.dump({"trial_id": trial_id, "secret": os.environ["DLKIT_TRIAL_SECRET"],
               "experiment_id": os.environ["DLKIT_EXPERIMENT_ID"]}, f)
os.rename(os.path.join(folder, trial_id + ".json.tmp"), os.path.join(folder, trial_id + ".json"))
params = dlkit.get_parameter()
deadline = time.time() + 120
while not os.path.exists(os.path.join(folder, "release")) and time.time() < deadline:
    time.sleep(0.1)
dlkit.report_final_result(float(params["x"]))

#!/usr/bin/env bash
# The main job: install what is missing, build, start the local daemon, run a real
# experiment and follow it live until it ends, then print the best trial.
#   ./run-example.sh                       # examples/digits-pytorch (PyTorch on sklearn digits)
#   ./run-example.sh examples/quickstart/dlkit-tune.json
set -euo pipefail
cd "$(dirname "$0")"

config=${1:-examples/digits-pytorch/dlkit-tune.json}
tools/install_deps.sh build python torch
tools/build.sh
echo
echo "state: ${DLKIT_HOME:-$HOME/.dlkit}   daemon: ${DLKIT_ADDRESS:-127.0.0.1:9870}"
dist/bin/dlctl submit "$config" --watch
echo
echo "More: dist/bin/dlctl list | trials ID | logs ID TRIAL | export ID --format csv"
echo "The daemon keeps running; stop it with: dist/bin/dlctl daemon stop"

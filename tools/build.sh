#!/usr/bin/env bash
# Builds dlkit with Bazel and lays out a runnable tree in dist/:
#   dist/bin/{dlctl,dlkitd,dlkit-reporter,dlkit-tuner}   dist/python/{dlkit,nni}   dist/ui
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install_deps.sh build python
bazel build //cli:dlctl //services/daemon:dlkitd //services/reporter:dlkit-reporter \
  //services/tuner:dlkit-tuner //services/daemon:dlkit-manager >&2

# Where this configuration's outputs are (the bazel-bin link follows the last build's flags).
bin=$(bazel info bazel-bin 2>/dev/null)
rm -rf dist.tmp && mkdir -p dist.tmp/bin dist.tmp/python
for f in cli/dlctl services/daemon/dlkitd services/reporter/dlkit-reporter \
         services/tuner/dlkit-tuner services/daemon/dlkit-manager; do
  cp "$bin/$f" dist.tmp/bin/
done
# The Python packages with their generated stubs, as the daemon's runfiles hold them.
cp -rL "$bin/services/daemon/dlkitd.runfiles/dlkit/client/python/dlkit" \
       "$bin/services/daemon/dlkitd.runfiles/dlkit/client/python/nni" dist.tmp/python/
find dist.tmp/python -name '__pycache__' -prune -exec rm -rf {} +
# The dashboard, which dlkitd serves from ../ui beside its binary.
ui/build.sh
cp -r ui/dist dist.tmp/ui
chmod -R u+w dist.tmp
rm -rf dist && mv dist.tmp dist
echo "dlkit built: $(pwd)/dist/bin (add it to PATH)" >&2

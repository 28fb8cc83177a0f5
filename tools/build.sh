#!/usr/bin/env bash
# Builds dlkit with Bazel and lays out a runnable tree in dist/:
#   dist/bin/{dlctl,dlkitd,dlkit-reporter,dlkit-tuner}   dist/python/{dlkit,nni}
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install_deps.sh build python
bazel build //cli:dlctl //services/daemon:dlkitd //services/reporter:dlkit-reporter \
  //services/tuner:dlkit-tuner >&2

rm -rf dist.tmp && mkdir -p dist.tmp/bin dist.tmp/python
for f in cli/dlctl services/daemon/dlkitd services/reporter/dlkit-reporter \
         services/tuner/dlkit-tuner; do
  cp "bazel-bin/$f" dist.tmp/bin/
done
# The Python packages with their generated stubs, as the daemon's runfiles hold them.
cp -rL bazel-bin/services/daemon/dlkitd.runfiles/dlkit/client/python/dlkit \
       bazel-bin/services/daemon/dlkitd.runfiles/dlkit/client/python/nni dist.tmp/python/
find dist.tmp/python -name '__pycache__' -prune -exec rm -rf {} +
chmod -R u+w dist.tmp
rm -rf dist && mv dist.tmp dist
echo "dlkit built: $(pwd)/dist/bin (add it to PATH)" >&2

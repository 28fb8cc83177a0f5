#!/usr/bin/env bash
# Installs the Debian packages dlkit needs, if any is missing. Groups:
#   build   - compilers, Bazel, gRPC/Protobuf/Abseil, SQLite, Catch2, Google Benchmark (always)
#   python  - what the Python SDK and the tests use, for /usr/bin/python3
#   torch   - PyTorch and scikit-learn, for examples/digits-pytorch
#   ui      - Chromium, for the dashboard's end-to-end tests (Node comes with the machine)
#   fuzz    - clang with libFuzzer and the sanitizers, for test/fuzz
# Usage: tools/install_deps.sh [build] [python] [torch]   (default: build python)
set -euo pipefail

groups=("$@")
[[ ${#groups[@]} -gt 0 ]] || groups=(build python)

packages=()
for group in "${groups[@]}"; do
  case "$group" in
    build) packages+=(g++ bazel-bootstrap libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev
                      protobuf-compiler libabsl-dev libsqlite3-dev sqlite3 catch2
                      nlohmann-json3-dev libyaml-cpp-dev libeigen3-dev libbenchmark-dev libcpprest-dev
                      git) ;;  # git: a test runs the trial pods' clone script
    python) packages+=(python3-grpcio python3-protobuf python3-pytest python3-numpy) ;;
    torch) packages+=(python3-torch python3-sklearn) ;;
    ui) packages+=(chromium) ;;
    fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    *) echo "install_deps: unknown group '$group' (build, python, torch, ui, fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
echo "install_deps: installing ${missing[*]}" >&2
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
  "${missing[@]}" >&2

#!/usr/bin/env bash
# Generates the gRPC stubs (dlkit/v1/*_pb2.py, *_pb2_grpc.py) from the repository's proto/
# for use outside Bazel: pip install, or running the tests with plain pytest.
# Bazel builds generate them itself (see BUILD); never commit them.
#
#   client/python/generate_protos.sh            # uses grpc_tools if installed, else protoc
#   PYTHON=/usr/bin/python3 OUT_DIR=/tmp/x client/python/generate_protos.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
proto_root="${PROTO_ROOT:-$here/../../proto}"
out_dir="${OUT_DIR:-$here}"
python="${PYTHON:-python3}"
protos=("$proto_root/dlkit/v1/types.proto" "$proto_root/dlkit/v1/reporter.proto")

for p in "${protos[@]}"; do
  [[ -f "$p" ]] || { echo "generate_protos.sh: missing $p (set PROTO_ROOT)" >&2; exit 1; }
done
mkdir -p "$out_dir/dlkit/v1"

if "$python" -c "import grpc_tools.protoc" 2>/dev/null; then
  "$python" -m grpc_tools.protoc -I"$proto_root" \
    --python_out="$out_dir" --grpc_python_out="$out_dir" "${protos[@]}"
elif command -v protoc >/dev/null && command -v grpc_python_plugin >/dev/null; then
  protoc -I"$proto_root" --python_out="$out_dir" --grpc_python_out="$out_dir" \
    --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" "${protos[@]}"
else
  echo "generate_protos.sh: need 'pip install grpcio-tools' (for $python)," \
       "or protoc and grpc_python_plugin (Debian: protobuf-compiler-grpc)" >&2
  exit 1
fi
[[ -f "$out_dir/dlkit/v1/__init__.py" ]] || : > "$out_dir/dlkit/v1/__init__.py"
echo "generated stubs in $out_dir/dlkit/v1/"

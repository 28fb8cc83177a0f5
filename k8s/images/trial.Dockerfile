# An example trial image: Python 3 with PyTorch, the dlkit SDK and dlkit-reporter (the
# entrypoint dlkit wraps every trial command in), plus examples/digits-pytorch as the code.
#   tools/build.sh
#   mkdir -p /tmp/trial-ctx && cp -r dist/bin dist/python examples/digits-pytorch /tmp/trial-ctx/
#   docker build -f k8s/images/trial.Dockerfile -t registry.example.com/digits-trial:1 /tmp/trial-ctx
# Debian's python3-torch is the CPU build; for GPUs start from an image with CUDA PyTorch
# (e.g. pytorch/pytorch) and add the same three COPY lines and grpcio/protobuf.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libssl3 zlib1g python3 python3-grpcio python3-protobuf python3-numpy \
      python3-torch python3-sklearn \
 && rm -rf /var/lib/apt/lists/*
COPY bin/dlkit-reporter /usr/local/bin/dlkit-reporter
# Where the Manager tells dlkit-reporter the SDK is (--python_path=/opt/dlkit/python).
COPY python/ /opt/dlkit/python/
ENV PYTHONPATH=/opt/dlkit/python
# The trial's code; trialCodeDirectory in the config names this folder.
COPY digits-pytorch/ /workspace/
WORKDIR /workspace
USER 65532:65532

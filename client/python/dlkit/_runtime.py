"""The two ways a trial runs: inside an experiment (talking to its Reporter over gRPC) and
standalone (parameters from a file or env, reports printed)."""

import copy
import os
import sys
import threading
import time
from typing import Any, Dict, Mapping, Optional, Sequence

from dlkit import _metric
from dlkit import _params

ADDRESS_ENV = "DLKIT_REPORTER_ADDRESS"
SECRET_ENV = "DLKIT_TRIAL_SECRET"
TRIAL_ID_ENV = "DLKIT_TRIAL_ID"
EXPERIMENT_ID_ENV = "DLKIT_EXPERIMENT_ID"
SEQUENCE_ENV = "DLKIT_TRIAL_SEQUENCE"

# Report kinds, named as in the printed lines the Reporter also parses from stdout.
INTERMEDIATE = "intermediate_result"
LOSS = "loss"
FINAL = "final_result"

STANDALONE_ID = "STANDALONE"  # NNI's trial and experiment id outside an experiment



def _import_grpc() -> Any:
    """grpc, or an error that says which interpreter lacks it and what to do."""
    try:
        import grpc
        return grpc
    except ImportError:
        raise ImportError(
            "dlkit: this trial runs in an experiment but %s has no grpc module; install "
            "grpcio and protobuf for it (on Debian: apt-get install python3-grpcio "
            "python3-protobuf, and use /usr/bin/python3 in trialCommand)" % sys.executable) \
            from None

class ReporterError(RuntimeError):
    """The trial's Reporter could not be reached, or refused a call."""


class Runtime:
    """What the public functions need; one instance per process."""

    def parameters(self) -> Dict[str, Any]:
        raise NotImplementedError

    def report(self, kind: str, metric_name: str, value: float) -> None:
        raise NotImplementedError

    def should_stop(self) -> bool:
        raise NotImplementedError

    def trial_id(self) -> str:
        raise NotImplementedError

    def experiment_id(self) -> str:
        raise NotImplementedError

    def sequence_id(self) -> int:
        raise NotImplementedError


class StandaloneRuntime(Runtime):
    """Outside an experiment: parameters from argv/env, reports printed to stdout."""

    def __init__(self, argv: Sequence[str], environ: Mapping[str, str]) -> None:
        self._argv = list(argv)
        self._environ = dict(environ)
        self._lock = threading.Lock()
        self._params: Optional[Dict[str, Any]] = None

    def parameters(self) -> Dict[str, Any]:
        with self._lock:
            if self._params is None:
                self._params = _params.standalone(self._argv, self._environ)
            return copy.deepcopy(self._params)

    def report(self, kind: str, metric_name: str, value: float) -> None:
        # Looked up at call time: the caller may have redirected sys.stdout.
        print("[dlkit] %s: %s" % (kind, _metric.format_value(value)), file=sys.stdout,
              flush=True)

    def should_stop(self) -> bool:
        return False

    def trial_id(self) -> str:
        return self._environ.get(TRIAL_ID_ENV) or STANDALONE_ID

    def experiment_id(self) -> str:
        return self._environ.get(EXPERIMENT_ID_ENV) or STANDALONE_ID

    def sequence_id(self) -> int:
        return _int_or(self._environ.get(SEQUENCE_ENV), 0)


class GrpcRuntime(Runtime):
    """Inside an experiment: every call goes to the Reporter over one lazily opened channel.

    Each call carries the trial's secret and a deadline, and is retried a few times when
    the Reporter is UNAVAILABLE. Reports are synchronous: they return once the Reporter
    answered, so a trial may exit right after ``report_final_result``.
    """

    def __init__(self, address: str, secret: str, environ: Mapping[str, str],
                 timeout: float = 30.0, retries: int = 3, backoff: float = 0.2) -> None:
        self._address = address
        self._secret = secret
        self._environ = dict(environ)
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._lock = threading.Lock()
        self._channel: Any = None
        self._stub: Any = None
        self._channel_pid = 0
        self._response: Any = None  # the cached GetParametersResponse
        self._params: Optional[Dict[str, Any]] = None
        self._stop = False

    def _get_stub(self) -> Any:
        with self._lock:
            # A forked child (e.g. a data-loader worker) must not share its parent's channel.
            if self._stub is None or self._channel_pid != os.getpid():
                grpc = _import_grpc()
                from dlkit.v1 import reporter_pb2_grpc
                self._channel = grpc.insecure_channel(self._address)
                self._stub = reporter_pb2_grpc.ReporterServiceStub(self._channel)
                self._channel_pid = os.getpid()
            return self._stub

    def _call(self, method: str, request: Any) -> Any:
        grpc = _import_grpc()
        stub = self._get_stub()
        delay = self._backoff
        for attempt in range(self._retries + 1):
            try:
                return getattr(stub, method)(request, timeout=self._timeout)
            except grpc.RpcError as err:
                code = err.code()
                if code == grpc.StatusCode.UNAVAILABLE and attempt < self._retries:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise ReporterError("dlkit: %s to the Reporter at %s failed: %s: %s"
                                    % (method, self._address, code.name, err.details())) \
                    from None
        raise AssertionError("unreachable")

    def _parameters_response(self) -> Any:
        if self._response is None:
            from dlkit.v1 import reporter_pb2
            response = self._call("GetParameters",
                                  reporter_pb2.GetParametersRequest(secret=self._secret))
            with self._lock:
                if self._response is None:
                    self._response = response
                    self._params = _params.from_proto(response.parameters)
        return self._response

    def parameters(self) -> Dict[str, Any]:
        self._parameters_response()
        return copy.deepcopy(self._params)  # the caller may change its copy freely

    def report(self, kind: str, metric_name: str, value: float) -> None:
        from dlkit.v1 import reporter_pb2
        from dlkit.v1 import types_pb2
        kinds = {
            INTERMEDIATE: types_pb2.INTERMEDIATE,
            LOSS: types_pb2.LOSS,
            FINAL: types_pb2.FINAL,
        }
        # One id per report, reused by _call's retries: the Reporter drops a repeat.
        report_id = int.from_bytes(os.urandom(8), "little") or 1
        response = self._call("Report", reporter_pb2.ReportRequest(
            secret=self._secret, kind=kinds[kind], value=value, metric_name=metric_name,
            report_id=report_id))
        if response.should_stop:
            self._stop = True

    def should_stop(self) -> bool:
        if self._stop:
            return True  # a stop is final: no need to ask again
        from dlkit.v1 import reporter_pb2
        response = self._call("ShouldStop",
                              reporter_pb2.ShouldStopRequest(secret=self._secret))
        if response.should_stop:
            self._stop = True
        return self._stop

    def trial_id(self) -> str:
        return self._environ.get(TRIAL_ID_ENV) or self._parameters_response().trial_id

    def experiment_id(self) -> str:
        return (self._environ.get(EXPERIMENT_ID_ENV) or
                self._parameters_response().experiment_id)

    def sequence_id(self) -> int:
        sequence = _int_or(self._environ.get(SEQUENCE_ENV), None)
        if sequence is None:
            sequence = int(self._parameters_response().sequence)
        return sequence

    def close(self) -> None:
        with self._lock:
            if self._channel is not None and self._channel_pid == os.getpid():
                self._channel.close()
            self._channel = None
            self._stub = None


def _int_or(text: Optional[str], fallback: Any) -> Any:
    try:
        return int(text) if text else fallback
    except ValueError:
        return fallback


def from_environment(environ: Mapping[str, str], argv: Sequence[str]) -> Runtime:
    """A GrpcRuntime when ``$DLKIT_REPORTER_ADDRESS`` is set, else a StandaloneRuntime."""
    address = environ.get(ADDRESS_ENV, "")
    if address:
        return GrpcRuntime(address, environ.get(SECRET_ENV, ""), environ)
    return StandaloneRuntime(argv, environ)

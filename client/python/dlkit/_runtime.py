"""The two ways a trial runs: inside an experiment (talking to its Reporter over gRPC) and
standalone (parameters from a file or env, reports printed)."""

import copy
import os
import sys
import threading
import time
from typing import Any, Dict, Mapping, Optional, Sequence

import json

from dlkit import _metric
from dlkit import _params
from dlkit import _wire

ADDRESS_ENV = "DLKIT_REPORTER_ADDRESS"
SECRET_ENV = "DLKIT_TRIAL_SECRET"
TRIAL_ID_ENV = "DLKIT_TRIAL_ID"
EXPERIMENT_ID_ENV = "DLKIT_EXPERIMENT_ID"
SEQUENCE_ENV = "DLKIT_TRIAL_SEQUENCE"
# The trial's parameters as JSON, set by the Reporter: no call needed to read them.
PARAMETERS_ENV = "DLKIT_TRIAL_PARAMETERS"
# Only rank 0 of a distributed trial reports: "0" here, or a RANK other than 0, silences it.
REPORT_ENV = "DLKIT_REPORT"
RANK_ENV = "RANK"
_SERVICE = "/dlkit.v1.ReporterService/"

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
        self._methods: Dict[str, Any] = {}
        self._channel_pid = 0
        self._response: Any = None  # the cached GetParametersResponse
        self._params: Optional[Dict[str, Any]] = None
        self._stop = False

    def _method(self, name: str) -> Any:
        """The Reporter's method `name` on this process's channel, taking and giving bytes."""
        with self._lock:
            # A forked child (e.g. a data-loader worker) must not share its parent's channel.
            if self._channel is None or self._channel_pid != os.getpid():
                grpc = _import_grpc()
                self._channel = grpc.insecure_channel(self._address)
                self._channel_pid = os.getpid()
                self._methods = {}
            if name not in self._methods:
                self._methods[name] = self._channel.unary_unary(_SERVICE + name)
            return self._methods[name]

    def _call(self, method: str, request: bytes) -> bytes:
        grpc = _import_grpc()
        call = self._method(method)
        delay = self._backoff
        for attempt in range(self._retries + 1):
            try:
                return call(request, timeout=self._timeout)
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
            raw = self._call("GetParameters", reporter_pb2.GetParametersRequest(
                secret=self._secret).SerializeToString())
            response = reporter_pb2.GetParametersResponse.FromString(raw)
            with self._lock:
                if self._response is None:
                    self._response = response
                    self._params = _params.from_proto(response.parameters)
        return self._response

    def parameters(self) -> Dict[str, Any]:
        if self._params is None:
            given = self._environ.get(PARAMETERS_ENV)
            if given:
                self._params = json.loads(given)
            else:
                self._parameters_response()
        return copy.deepcopy(self._params)  # the caller may change its copy freely

    def report(self, kind: str, metric_name: str, value: float) -> None:
        # One id per report, reused by _call's retries: the Reporter drops a repeat.
        report_id = int.from_bytes(os.urandom(8), "little") or 1
        raw = self._call("Report", _wire.encode_report(self._secret, kind, value, metric_name,
                                                        report_id))
        if _wire.decode_should_stop(raw):
            self._stop = True

    def should_stop(self) -> bool:
        if self._stop:
            return True  # a stop is final: no need to ask again
        if _wire.decode_should_stop(self._call("ShouldStop",
                                               _wire.encode_should_stop(self._secret))):
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
            self._methods = {}


def _int_or(text: Optional[str], fallback: Any) -> Any:
    try:
        return int(text) if text else fallback
    except ValueError:
        return fallback


class SilentRuntime(StandaloneRuntime):
    """A replica that must not report (not rank 0 of a distributed trial): parameters as
    the trial's (``$DLKIT_TRIAL_PARAMETERS``), every report and stop check a no-op."""

    def parameters(self) -> Dict[str, Any]:
        given = self._environ.get(PARAMETERS_ENV)
        if given:
            return json.loads(given)
        return super().parameters()

    def report(self, kind: str, metric_name: str, value: float) -> None:
        pass

    def should_stop(self) -> bool:
        return False


def reports_disabled(environ: Mapping[str, str]) -> bool:
    """True for a replica other than rank 0: ``$DLKIT_REPORT=0`` (set by the Manager on the
    workers of a PyTorchJob/TFJob) or ``$RANK`` other than 0 (torchrun, PyTorchJob)."""
    if environ.get(REPORT_ENV, "").strip() in ("0", "false", "no"):
        return True
    rank = environ.get(RANK_ENV, "").strip()
    return rank not in ("", "0")


def from_environment(environ: Mapping[str, str], argv: Sequence[str]) -> Runtime:
    """A SilentRuntime on a replica other than rank 0, a GrpcRuntime when
    ``$DLKIT_REPORTER_ADDRESS`` is set, else a StandaloneRuntime."""
    if reports_disabled(environ):
        return SilentRuntime(argv, environ)
    address = environ.get(ADDRESS_ENV, "")
    if address:
        return GrpcRuntime(address, environ.get(SECRET_ENV, ""), environ)
    return StandaloneRuntime(argv, environ)

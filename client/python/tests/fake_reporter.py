"""A real ReporterService on a real unix socket, standing in for the C++ Reporter in tests.

It records what arrives, checks the trial's secret, and answers should_stop once a given
number of reports arrived.
"""

import os
import shutil
import tempfile
import threading
from concurrent import futures
from typing import Any, Dict, List, Mapping, Optional

import grpc

from dlkit import _params
from dlkit.v1 import reporter_pb2
from dlkit.v1 import reporter_pb2_grpc
from dlkit.v1 import types_pb2


def to_parameter_set(params: Mapping[str, Any]) -> types_pb2.ParameterSet:
    """Builds the proto the Reporter sends from a plain dict (nested dicts become nested)."""
    result = types_pb2.ParameterSet()
    for key, value in params.items():
        _params.fill_value(result.values[key], value, key)
    return result


class FakeReporter(reporter_pb2_grpc.ReporterServiceServicer):
    """Records every call; thread-safe (the server runs handlers on a pool)."""

    def __init__(self, secret: str, params: Mapping[str, Any], trial_id: str = "trial-7",
                 experiment_id: str = "exp-1", sequence: int = 6,
                 stop_after: Optional[int] = None, unavailable_first: int = 0) -> None:
        self.secret = secret
        self.params = to_parameter_set(params)
        self.trial_id = trial_id
        self.experiment_id = experiment_id
        self.sequence = sequence
        self.stop_after = stop_after
        self.unavailable_left = unavailable_first
        self.lock = threading.Lock()
        self.reports: List[reporter_pb2.ReportRequest] = []
        self.calls: Dict[str, int] = {}
        self.secrets: List[str] = []

    def _enter(self, method: str, request: Any, context: grpc.ServicerContext) -> None:
        with self.lock:
            self.calls[method] = self.calls.get(method, 0) + 1
            self.secrets.append(request.secret)
            if self.unavailable_left > 0:
                self.unavailable_left -= 1
                context.abort(grpc.StatusCode.UNAVAILABLE, "Reporter busy (test)")
        if request.secret != self.secret:
            context.abort(grpc.StatusCode.PERMISSION_DENIED,
                          "the secret does not belong to this trial")

    def _stopping(self) -> bool:
        return self.stop_after is not None and len(self.reports) >= self.stop_after

    def GetParameters(self, request, context):
        self._enter("GetParameters", request, context)
        return reporter_pb2.GetParametersResponse(
            trial_id=self.trial_id, experiment_id=self.experiment_id,
            parameters=self.params, sequence=self.sequence)

    def Report(self, request, context):
        self._enter("Report", request, context)
        with self.lock:
            self.reports.append(request)
            return reporter_pb2.ReportResponse(should_stop=self._stopping())

    def ShouldStop(self, request, context):
        self._enter("ShouldStop", request, context)
        with self.lock:
            return reporter_pb2.ShouldStopResponse(should_stop=self._stopping())

    def kinds_and_values(self) -> List[tuple]:
        with self.lock:
            return [(types_pb2.MetricKind.Name(r.kind), r.value, r.metric_name)
                    for r in self.reports]


def short_temp_dir() -> str:
    """A fresh directory whose socket paths stay under the 108-byte unix socket limit."""
    for parent in ("/tmp", os.environ.get("TEST_TMPDIR"), None):
        try:
            path = tempfile.mkdtemp(prefix="dlkit-py-", dir=parent)
        except OSError:
            continue
        if len(path) < 80:
            return path
        shutil.rmtree(path, ignore_errors=True)
    raise RuntimeError("no short writable temporary directory for a unix socket")


class ReporterServer:
    """Serves a FakeReporter on ``unix://<tmp>/reporter.sock`` until stop()."""

    def __init__(self, fake: FakeReporter) -> None:
        self.fake = fake
        self.dir = short_temp_dir()
        self.address = "unix://" + os.path.join(self.dir, "reporter.sock")
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        reporter_pb2_grpc.add_ReporterServiceServicer_to_server(fake, self.server)
        if self.server.add_insecure_port(self.address) == 0:
            raise RuntimeError("cannot listen on " + self.address)
        self.server.start()

    def environment(self) -> Dict[str, str]:
        """The env a Reporter gives its trial."""
        return {
            "DLKIT_REPORTER_ADDRESS": self.address,
            "DLKIT_TRIAL_SECRET": self.fake.secret,
            "DLKIT_TRIAL_ID": self.fake.trial_id,
            "DLKIT_EXPERIMENT_ID": self.fake.experiment_id,
            "DLKIT_TRIAL_SEQUENCE": str(self.fake.sequence),
            "DLKIT_OUTPUT_DIR": self.dir,
        }

    def stop(self) -> None:
        self.server.stop(grace=None).wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

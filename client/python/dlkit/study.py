"""Ask/tell: suggestions from the daemon's tuners for workers you run yourself.

    study = dlkit.Study.create({"x": {"_type": "uniform", "_value": [-1, 1]}}, tuner="TPE",
                               direction="minimize", max_trials=50)
    for _ in range(50):
        trial = study.ask()
        for epoch in range(10):
            if trial.report(evaluate(trial.params, epoch)):   # True: the assessor says stop
                break
        study.tell(trial, final_value)

The study is an experiment of the daemon (``dlctl list`` shows it) whose trials are
created by ``ask`` instead of being launched; they are stored and shown like any others.
The daemon must be running (``dlctl daemon start``); its address comes from ``address``,
else ``$DLKIT_ADDRESS``, else 127.0.0.1:9870.
"""

import os
import time
import uuid
from typing import Any, Dict, Mapping, Optional

from dlkit import _params

_DEADLINE = 60.0
_DISTRIBUTIONS = ("choice", "randint", "uniform", "quniform", "loguniform", "qloguniform",
                  "normal", "qnormal", "lognormal", "qlognormal")


class StudyError(RuntimeError):
    """The daemon refused a call, or cannot be reached."""


def _search_space(space: Mapping[str, Any], where: str = "search_space") -> Any:
    """NNI's search-space dict as a ``dlkit.v1.SearchSpace``; the daemon checks the values."""
    from dlkit.v1 import types_pb2
    out = types_pb2.SearchSpace()
    for name, spec in space.items():
        path = "%s.%s" % (where, name)
        if not isinstance(spec, Mapping) or "_type" not in spec or "_value" not in spec:
            raise ValueError("%s: expected {\"_type\": ..., \"_value\": [...]}" % path)
        if spec["_type"] not in _DISTRIBUTIONS:
            raise ValueError("%s._type: unknown type %r; known: %s"
                             % (path, spec["_type"], ", ".join(_DISTRIBUTIONS)))
        param = out.parameters.add(name=name,
                                   distribution=types_pb2.Distribution.Value(spec["_type"].upper()))
        for i, option in enumerate(spec["_value"]):
            if spec["_type"] != "choice":
                param.args.append(float(option))
            elif isinstance(option, Mapping):
                if "_name" not in option:
                    raise ValueError("%s._value[%d]: a nested option needs \"_name\"" % (path, i))
                nested = param.options.add().nested
                nested.name = str(option["_name"])
                sub = {k: v for k, v in option.items() if k != "_name"}
                nested.space.CopyFrom(_search_space(sub, "%s._value[%d]" % (path, i)))
            else:
                _params.fill_value(param.options.add(), option, "%s._value[%d]" % (path, i))
    return out


class AskedTrial:
    """One trial handed out by ``Study.ask``."""

    def __init__(self, study: "Study", proto: Any) -> None:
        self._study = study
        self.id: str = proto.id
        self.number: int = int(proto.index)
        self.params: Dict[str, Any] = _params.from_proto(proto.parameters)
        self._seq = 0
        self.should_stop = False

    def report(self, value: float, loss: bool = False) -> bool:
        """Reports one intermediate result (or, with ``loss``, a loss); returns whether the
        study's assessor asks this trial to stop."""
        from dlkit.v1 import manager_pb2, types_pb2
        self._seq += 1
        response = self._study._call("ReportTrialMetric", manager_pb2.ReportTrialMetricRequest(
            experiment_id=self._study.id, trial_id=self.id, seq=self._seq, value=float(value),
            kind=types_pb2.LOSS if loss else types_pb2.INTERMEDIATE))
        self.should_stop = self.should_stop or response.should_stop
        return self.should_stop

    def heartbeat(self) -> bool:
        """Tells the daemon this trial's worker is alive (a report does too): a trial silent
        for longer than the study's lease ends FAILED as "worker lost". Returns whether the
        assessor asks it to stop."""
        from dlkit.v1 import manager_pb2
        response = self._study._call("HeartbeatTrial", manager_pb2.HeartbeatTrialRequest(
            experiment_id=self._study.id, trial_id=self.id))
        self.should_stop = self.should_stop or response.should_stop
        return self.should_stop

    def __repr__(self) -> str:
        return "AskedTrial(id=%r, number=%d, params=%r)" % (self.id, self.number, self.params)


class Study:
    """An ask/tell experiment of the daemon."""

    def __init__(self, experiment_id: str, address: Optional[str] = None,
                 token: Optional[str] = None) -> None:
        from dlkit.daemon_channel import daemon_channel
        from dlkit.v1 import launcher_pb2_grpc, manager_pb2_grpc
        self.id = experiment_id
        self.address = address or os.environ.get("DLKIT_ADDRESS") or "127.0.0.1:9870"
        # The daemon's token: ``token``, else $DLKIT_TOKEN, else $DLKIT_HOME/token.
        self._channel = daemon_channel(self.address, token)
        self._launcher = launcher_pb2_grpc.LauncherServiceStub(self._channel)
        self._manager = manager_pb2_grpc.ManagerServiceStub(self._channel)

    @classmethod
    def create(cls, search_space: Mapping[str, Any], *, tuner: str = "TPE",
               tuner_args: Optional[Mapping[str, Any]] = None, direction: str = "maximize",
               assessor: str = "", assessor_args: Optional[Mapping[str, Any]] = None,
               max_trials: int = 0, name: str = "", seed: int = 0,
               lease: float = 300.0, address: Optional[str] = None,
               token: Optional[str] = None) -> "Study":
        """Creates the study on the daemon (``max_trials`` 0: no limit). An asked trial
        whose worker neither reports nor sends a heartbeat for ``lease`` seconds ends FAILED
        ("worker lost")."""
        from dlkit.v1 import launcher_pb2, types_pb2
        if direction not in ("maximize", "minimize"):
            raise ValueError("direction: expected \"maximize\" or \"minimize\", got %r"
                             % (direction,))
        spec = types_pb2.ExperimentSpec(
            name=name, ask_tell=True, trial_code_directory=os.getcwd(), trial_concurrency=1,
            max_trial_number=max_trials, seed=seed,
            search_space=_search_space(search_space),
            objective=types_pb2.Objective(metric="default", direction=types_pb2.Direction.Value(
                direction.upper())))
        if lease <= 0:
            raise ValueError("lease: expected a number of seconds above 0, got %r" % (lease,))
        spec.ask_lease.FromNanoseconds(int(lease * 1e9))
        spec.tuner.name = tuner
        for key, value in (tuner_args or {}).items():
            _params.fill_value(spec.tuner.class_args[key], value, "tuner_args.%s" % key)
        if assessor:
            spec.assessor.name = assessor
            for key, value in (assessor_args or {}).items():
                _params.fill_value(spec.assessor.class_args[key], value, "assessor_args.%s" % key)
        study = cls("", address, token)
        response = study._call("SubmitExperiment", launcher_pb2.SubmitExperimentRequest(
            spec=spec, request_id=uuid.uuid4().hex), service=study._launcher)
        study.id = response.experiment.id
        return study

    def _call(self, method: str, request: Any, service: Any = None) -> Any:
        import grpc
        try:
            return getattr(service or self._manager, method)(request, timeout=_DEADLINE)
        except grpc.RpcError as err:
            raise StudyError("dlkit: %s on the daemon at %s failed: %s: %s"
                             % (method, self.address, err.code().name, err.details())) from None

    def ask(self, attempts: int = 3) -> AskedTrial:
        """A new trial with the tuner's next parameters. An ask whose answer was lost (the
        daemon restarting, a network blip) is retried with the same request id, so it
        never hands out a second trial."""
        import grpc
        from dlkit.v1 import manager_pb2
        request = manager_pb2.AskTrialsRequest(experiment_id=self.id, count=1,
                                               request_id=uuid.uuid4().hex)
        for attempt in range(attempts):
            try:
                response = self._manager.AskTrials(request, timeout=_DEADLINE)
                return AskedTrial(self, response.trials[0])
            except grpc.RpcError as err:
                transient = err.code() in (grpc.StatusCode.UNAVAILABLE,
                                           grpc.StatusCode.DEADLINE_EXCEEDED)
                if not transient or attempt == attempts - 1:
                    raise StudyError("dlkit: AskTrials on the daemon at %s failed: %s: %s"
                                     % (self.address, err.code().name, err.details())) from None
                time.sleep(0.5 * 2 ** attempt)
        raise AssertionError("unreachable")

    def tell(self, trial: AskedTrial, value: Optional[float] = None, *, failed: bool = False,
             reason: str = "") -> str:
        """Ends the trial with its final value (or as failed); returns its final state."""
        from dlkit.v1 import manager_pb2, types_pb2
        if value is None and not failed:
            raise ValueError("tell: give the trial's value, or failed=True")
        response = self._call("TellTrial", manager_pb2.TellTrialRequest(
            experiment_id=self.id, trial_id=trial.id, failed=failed,
            value=float(value) if value is not None else 0.0, reason=reason))
        return types_pb2.TrialState.Name(response.trial.state)

    def best(self) -> Optional[Dict[str, Any]]:
        """The best told trial so far: ``{"id", "value", "params"}``, or None."""
        from dlkit.v1 import manager_pb2
        experiment = self._call("GetExperiment", manager_pb2.ManagerGetExperimentRequest(
            experiment_id=self.id)).experiment
        if not experiment.has_best:
            return None
        trial = self._call("GetTrial", manager_pb2.GetTrialRequest(
            experiment_id=self.id, trial_id=experiment.best_trial_id)).trial
        return {"id": trial.id, "value": experiment.best_value,
                "params": _params.from_proto(trial.parameters)}

    def close(self) -> None:
        self._channel.close()

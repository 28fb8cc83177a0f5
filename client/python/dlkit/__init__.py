"""dlkit's trainer SDK: get hyperparameters, report metrics.

Inside a dlkit experiment (``$DLKIT_REPORTER_ADDRESS`` is set) every call talks to the
trial's Reporter. Outside one, the same script still runs: parameters come from
``--dlkit-params FILE`` on the command line, ``$DLKIT_PARAMS`` (JSON) or
``$DLKIT_PARAMS_FILE``, else ``{}``; reports are printed as ``[dlkit] loss: 0.12``.

    import dlkit

    params = dlkit.get_parameter()          # {"lr": 0.01, "model": {"_name": "cnn", ...}}
    for epoch in range(params.get("epochs", 10)):
        loss, acc = train_one_epoch(params)
        dlkit.report_loss(loss)
        dlkit.report_intermediate_result(acc)
        if dlkit.should_stop():
            break
    dlkit.report_final_result(acc)

NNI's names (``get_next_parameter``, ``get_current_parameter``, ...) work too, and the
bundled ``nni`` package lets NNI trial code run unchanged.
"""

import os
import sys
import threading
from typing import Any, Dict, Mapping, Optional, Union

from dlkit import _metric
from dlkit import _runtime
from dlkit._runtime import ReporterError
from dlkit.study import AskedTrial, Study, StudyError  # ask/tell; imports grpc only when used

__all__ = [
    "AskedTrial",
    "Metric",
    "ReporterError",
    "Study",
    "StudyError",
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_parameter",
    "get_sequence_id",
    "get_trial_id",
    "report_final_result",
    "report_intermediate_result",
    "report_loss",
    "should_stop",
]

# A number, or a dict (NNI style) whose "default" entry is the objective value.
Metric = Union[float, int, Mapping[str, Any]]

_lock = threading.Lock()
_current: Optional[_runtime.Runtime] = None


def _get() -> _runtime.Runtime:
    global _current
    with _lock:
        if _current is None:
            _current = _runtime.from_environment(os.environ, sys.argv)
        return _current


def _reset() -> None:
    """Forgets the runtime so the next call reads the environment again (for tests)."""
    global _current
    with _lock:
        if isinstance(_current, _runtime.GrpcRuntime):
            _current.close()
        _current = None


def get_parameter() -> Dict[str, Any]:
    """Returns this trial's hyperparameters as a new dict.

    Shaped as NNI gives them: ints as int, floats as float, strings, bools; a chosen nested
    ``choice`` option is a dict with its ``_name`` and its own parameters. Fetched once from
    the Reporter and cached.

    Raises:
        ReporterError: inside an experiment, when the Reporter cannot be reached.
        ValueError: outside one, when the given parameters file or JSON is unusable.
    """
    return _get().parameters()


def get_next_parameter() -> Dict[str, Any]:
    """NNI's name for :func:`get_parameter`."""
    return get_parameter()


def get_current_parameter(tag: Optional[str] = None) -> Any:
    """NNI's accessor: all parameters, or the one named ``tag``."""
    params = get_parameter()
    return params if tag is None else params[tag]


def _report(kind: str, metric: Metric, what: str) -> None:
    name, value = _metric.resolve(metric, what)
    _get().report(kind, name, value)


def report_intermediate_result(metric: Metric) -> None:
    """Reports the objective metric so far (e.g. once per epoch).

    Args:
        metric: a number, or a dict whose ``default`` entry (or the entry named by
            ``$DLKIT_OBJECTIVE_METRIC``) is the number; other entries are not sent.

    Raises:
        TypeError: ``metric`` is not a number (a string, a bool, None, ...).
        ValueError: a dict ``metric`` has no ``default`` entry.
        ReporterError: the Reporter cannot be reached.
    """
    _report(_runtime.INTERMEDIATE, metric, "report_intermediate_result(metric)")


def report_loss(loss: Metric) -> None:
    """Reports the training loss so far (for loss curves); same rules as the metric."""
    _report(_runtime.LOSS, loss, "report_loss(loss)")


def report_final_result(metric: Metric) -> None:
    """Reports the trial's final objective value; returns once the Reporter has it."""
    _report(_runtime.FINAL, metric, "report_final_result(metric)")


def should_stop() -> bool:
    """True once dlkit wants this trial to stop (early stopping, a kill, the experiment's end).

    A trial that sees True should wrap up and exit; it may still report a final result.
    Always False outside an experiment.
    """
    return _get().should_stop()


def get_trial_id() -> str:
    """This trial's id ("STANDALONE" outside an experiment, as in NNI)."""
    return _get().trial_id()


def get_experiment_id() -> str:
    """This trial's experiment id ("STANDALONE" outside an experiment, as in NNI)."""
    return _get().experiment_id()


def get_sequence_id() -> int:
    """This trial's index within its experiment (0 outside an experiment)."""
    return _get().sequence_id()

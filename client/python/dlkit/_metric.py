"""Turns what a trainer passes to ``report_*`` into the one number that is sent."""

import numbers
import os
from typing import Any, Mapping, Tuple

OBJECTIVE_ENV = "DLKIT_OBJECTIVE_METRIC"
DEFAULT_KEY = "default"


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return "%s %s" % (type(value).__name__, text)


def to_float(value: Any, what: str) -> float:
    """Converts a metric value to float, or raises TypeError naming what was passed.

    Accepts Python and NumPy numbers and anything with ``__float__`` that converts (e.g. a
    one-element torch tensor). NaN and infinities are accepted: a diverged run is a result,
    and raising would kill the training script over a number.
    """
    if isinstance(value, bool):
        raise TypeError("%s must be a number, got %s" % (what, _describe(value)))
    if isinstance(value, (str, bytes, bytearray)):
        raise TypeError("%s must be a number, got %s (convert it with float() first "
                        "if it holds a number)" % (what, _describe(value)))
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "__float__"):
        try:
            result = float(value)
        except (TypeError, ValueError) as err:
            raise TypeError("%s must be a number, got %s which does not convert to float: %s"
                            % (what, _describe(value), err)) from None
        if isinstance(result, float):
            return result
    raise TypeError("%s must be a number or a dict with a %r key, got %s"
                    % (what, DEFAULT_KEY, _describe(value)))


def resolve(metric: Any, what: str) -> Tuple[str, float]:
    """Returns ``(metric_name, value)`` for a number or an NNI-style dict.

    A dict sends the entry named by ``$DLKIT_OBJECTIVE_METRIC`` when it has one, else its
    ``default`` entry; other entries are not sent.
    """
    if isinstance(metric, Mapping):
        objective = os.environ.get(OBJECTIVE_ENV, "")
        if objective and objective in metric:
            key = objective
        elif DEFAULT_KEY in metric:
            key = DEFAULT_KEY
        else:
            wanted = repr(DEFAULT_KEY)
            if objective:
                wanted = "%r (the objective metric) or %r" % (objective, DEFAULT_KEY)
            raise ValueError("%s: a dict metric needs a %s key; got keys %s"
                             % (what, wanted, sorted(str(k) for k in metric.keys())))
        return str(key), to_float(metric[key], "%s[%r]" % (what, key))
    return DEFAULT_KEY, to_float(metric, what)


def format_value(value: float) -> str:
    """The text of a value in a printed report line: Python's shortest round-trip form."""
    return repr(float(value))  # 0.93, 1.0, nan, inf, -inf: all parse with float()/strtod

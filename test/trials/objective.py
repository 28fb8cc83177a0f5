"""Deterministic metrics computed from a trial's parameters.

The trial scripts report these values and the tests recompute them from the parameters that
dlctl shows, so a metric stored for the wrong trial, lost, duplicated or altered in transit
makes a test fail. Same inputs, same float operations: the values compare exactly.
"""

from typing import Any, Dict, Iterator, Tuple


def flatten(params: Dict[str, Any], prefix: str = "") -> Iterator[Tuple[str, Any]]:
    for key in sorted(params):
        value = params[key]
        if isinstance(value, dict):
            yield from flatten(value, prefix + key + "/")
        else:
            yield prefix + key, value


def base(params: Dict[str, Any]) -> float:
    total = 0.0
    for i, (_, value) in enumerate(flatten(params)):
        if isinstance(value, bool):
            number = 1.0 if value else 0.0
        elif isinstance(value, (int, float)):
            number = float(value)
        else:
            number = sum(map(ord, str(value))) / 1000.0
        total += number * (i + 1)
    return total


def epochs(params: Dict[str, Any]) -> int:
    return int(params.get("epochs", 3))


def intermediate(params: Dict[str, Any], epoch: int) -> float:
    return base(params) + 0.125 * (epoch + 1)


def loss(params: Dict[str, Any], epoch: int) -> float:
    return 1.0 / (epoch + 1) + base(params) / 1000.0


def final(params: Dict[str, Any]) -> float:
    return intermediate(params, epochs(params) - 1) + 1.0

"""Parameters as NNI hands them to a trial: from the Reporter's proto, or from a file/env."""

import json
import os
from typing import Any, Dict, Mapping, Optional, Sequence

PARAMS_FLAG = "--dlkit-params"
PARAMS_ENV = "DLKIT_PARAMS"
PARAMS_FILE_ENV = "DLKIT_PARAMS_FILE"


def from_proto(parameter_set: Any) -> Dict[str, Any]:
    """Converts a ``dlkit.v1.ParameterSet`` to a plain dict.

    ints stay int, doubles are float, a chosen nested choice option is a dict holding its
    ``_name`` and its own parameters. Proto maps have no order: keys come sorted, ``_name``
    first, so the same parameters always print the same.
    """
    keys = sorted(parameter_set.values.keys(), key=lambda k: (k != "_name", k))
    return {key: _value_from_proto(parameter_set.values[key]) for key in keys}


def _value_from_proto(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "double_value":
        return float(value.double_value)
    if kind == "int_value":
        return int(value.int_value)
    if kind == "string_value":
        return str(value.string_value)
    if kind == "bool_value":
        return bool(value.bool_value)
    if kind == "nested":
        return from_proto(value.nested)
    return None


def fill_value(message: Any, value: Any, where: str) -> None:
    """Sets a ParameterValue-like oneof from a Python value (the inverse of the above):
    bool, int, float and str, and for a ``ParameterValue`` a dict as a nested set."""
    if isinstance(value, bool):
        message.bool_value = value
    elif isinstance(value, int):
        message.int_value = value
    elif isinstance(value, float):
        message.double_value = value
    elif isinstance(value, str):
        message.string_value = value
    elif isinstance(value, Mapping) and hasattr(message, "nested"):
        for key, item in value.items():
            fill_value(message.nested.values[key], item, "%s.%s" % (where, key))
    else:
        raise TypeError("%s: expected a number, string or bool, got %r" % (where, value))


def _flag_value(argv: Sequence[str]) -> Optional[str]:
    """The FILE of ``--dlkit-params FILE`` or ``--dlkit-params=FILE`` in argv, if any."""
    for i, arg in enumerate(argv[1:], start=1):
        if arg == PARAMS_FLAG:
            if i + 1 >= len(argv):
                raise ValueError("%s needs a FILE argument (a JSON file of parameters)"
                                 % PARAMS_FLAG)
            return argv[i + 1]
        if arg.startswith(PARAMS_FLAG + "="):
            return arg[len(PARAMS_FLAG) + 1:]
    return None


def _parse(text: str, source: str) -> Dict[str, Any]:
    try:
        params = json.loads(text)
    except ValueError as err:
        raise ValueError("dlkit: parameters from %s are not valid JSON: %s" % (source, err)) \
            from None
    if not isinstance(params, dict):
        raise ValueError("dlkit: parameters from %s must be a JSON object, got %s"
                         % (source, type(params).__name__))
    return params


def _read_file(path: str, source: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise ValueError("dlkit: cannot read the parameters file %r given by %s: %s"
                         % (path, source, err.strerror or err)) from None
    return _parse(text, "%s (%s)" % (path, source))


def standalone(argv: Sequence[str], environ: Mapping[str, str]) -> Dict[str, Any]:
    """Parameters for a run outside an experiment.

    First found wins: ``--dlkit-params FILE`` in argv (argv is left as it is),
    ``$DLKIT_PARAMS`` (a JSON string), ``$DLKIT_PARAMS_FILE``; else ``{}``.
    """
    path = _flag_value(argv)
    if path is not None:
        return _read_file(path, PARAMS_FLAG)
    text = environ.get(PARAMS_ENV)
    if text:
        return _parse(text, "$" + PARAMS_ENV)
    path = environ.get(PARAMS_FILE_ENV)
    if path:
        return _read_file(os.path.expanduser(path), "$" + PARAMS_FILE_ENV)
    return {}

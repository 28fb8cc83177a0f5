"""``nni.utils.merge_parameter``, which many NNI trial scripts use to apply tuned values."""

from typing import Any, Mapping, Optional


def _compatible(key: str, base: Any, override: Any) -> Any:
    if base is None or isinstance(override, type(base)):
        return override
    if isinstance(base, float) and isinstance(override, int):
        return float(override)
    raise ValueError('Expected "%s" in override parameters to have type %s, but found %s'
                     % (key, type(base).__name__, type(override).__name__))


def merge_parameter(base_params: Any, override_params: Optional[Mapping[str, Any]]) -> Any:
    """Overrides entries of ``base_params`` (a dict or an argparse Namespace) in place.

    As in NNI: a key missing from ``base_params`` is an error, and a value must have the
    type of the one it replaces (an int may replace a float). Returns ``base_params``.
    """
    if override_params is None:
        return base_params
    is_dict = isinstance(base_params, dict)
    for key, value in override_params.items():
        present = key in base_params if is_dict else hasattr(base_params, key)
        if not present:
            raise ValueError("Key '%s' not found in base parameters." % key)
        old = base_params[key] if is_dict else getattr(base_params, key)
        value = _compatible(key, old, value)
        if is_dict:
            base_params[key] = value
        else:
            setattr(base_params, key, value)
    return base_params

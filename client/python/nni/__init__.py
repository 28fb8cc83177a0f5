"""NNI's trial API, served by dlkit, so NNI trial code runs unchanged inside dlkit.

Only the trial calls are here (``nni.trace``, NAS and the experiment API are not).
"""

from dlkit import get_current_parameter
from dlkit import get_experiment_id
from dlkit import get_next_parameter
from dlkit import get_sequence_id
from dlkit import get_trial_id
from dlkit import report_final_result
from dlkit import report_intermediate_result

__all__ = [
    "get_current_parameter",
    "get_experiment_id",
    "get_next_parameter",
    "get_sequence_id",
    "get_trial_id",
    "report_final_result",
    "report_intermediate_result",
]

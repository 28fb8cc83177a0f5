"""A trial's record for the tests: its pid, its Reporter's pid, its parameters and the
wall-clock times it started and ended, in DIR/<trial id>.json (written atomically)."""

import json
import os
import time
from typing import Any, Dict, Optional

STARTED = time.time()  # as early as the script imports this module


def _stat(pid: int) -> Optional[list]:
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    return [text[text.index("(") + 1:text.rindex(")")]] + text[text.rindex(")") + 2:].split()


def reporter_pid() -> Optional[int]:
    """The dlkit-reporter this trial runs under (it may run us through /bin/sh)."""
    pid = os.getppid()
    while pid > 1:
        fields = _stat(pid)
        if fields is None:
            return None
        if fields[0] == "dlkit-reporter":
            return pid
        pid = int(fields[2])
    return None


def write(directory: str, params: Dict[str, Any], **extra: Any) -> None:
    trial_id = os.environ.get("DLKIT_TRIAL_ID", "standalone")
    record = {
        "trial_id": trial_id,
        "sequence": int(os.environ.get("DLKIT_TRIAL_SEQUENCE", "0")),
        "pid": os.getpid(),
        "reporter_pid": reporter_pid(),
        "params": params,
        "start": STARTED,
    }
    record.update(extra)
    path = os.path.join(directory, trial_id + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(record, f)
    os.replace(path + ".tmp", path)

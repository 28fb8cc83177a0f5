"""Runs the pytest files named in argv (relative to this directory) and exits with
pytest's code, so each Bazel py_test is one pytest file."""

import os
import sys

import pytest


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    args = [os.path.join(here, name) for name in sys.argv[1:]]
    args += ["-v", "-p", "no:cacheprovider", "--rootdir", here, "--durations=5", "-p", "no:hypothesispytest"]
    tmp = os.environ.get("TEST_TMPDIR")
    if tmp:
        args.append("--basetemp=" + os.path.join(tmp, "pytest"))
    xml = os.environ.get("XML_OUTPUT_FILE")
    if xml:
        args.append("--junitxml=" + xml)
    return int(pytest.main(args))


if __name__ == "__main__":
    sys.exit(main())

"""Runs the pytest files named in argv (paths from the workspace root, as Bazel's runfiles
lay them out) and exits with pytest's code, so each Bazel py_test is one pytest file."""

import os
import sys

import pytest


def main() -> int:
    files = [os.path.abspath(name) for name in sys.argv[1:]]
    here = os.path.dirname(files[0]) if files else os.getcwd()
    args = files + ["-v", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
                    "--rootdir", here, "--durations=5"]
    tmp = os.environ.get("TEST_TMPDIR")
    if tmp:
        args.append("--basetemp=" + os.path.join(tmp, "pytest"))
    xml = os.environ.get("XML_OUTPUT_FILE")
    if xml:
        args.append("--junitxml=" + xml)
    return int(pytest.main(args))


if __name__ == "__main__":
    sys.exit(main())

"""Trial scripts run as separate /usr/bin/python3 processes with PYTHONPATH at the package
tree, as the Reporter runs them (from the runfiles of //client/python:python_tree)."""

import json
import os
import subprocess
import textwrap

import dlkit
from conftest import PARAMS, SECRET

PYTHON = "/usr/bin/python3"


def package_root() -> str:
    """<runfiles>/dlkit/client/python under Bazel; this checkout's client/python otherwise."""
    srcdir, workspace = os.environ.get("TEST_SRCDIR"), os.environ.get("TEST_WORKSPACE")
    if srcdir and workspace:
        root = os.path.join(srcdir, workspace, "client", "python")
    else:
        root = os.path.dirname(os.path.dirname(os.path.abspath(dlkit.__file__)))
    assert os.path.isfile(os.path.join(root, "dlkit", "v1", "reporter_pb2_grpc.py")), root
    return root


def run(tmp_path, source, env, *args):
    script = tmp_path / "trial.py"
    script.write_text(textwrap.dedent(source))
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("DLKIT_") and k != "PYTHONPATH"}
    clean.update(env)
    clean["PYTHONPATH"] = package_root()
    return subprocess.run([PYTHON, str(script)] + list(args), env=clean, cwd=str(tmp_path),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=60)


TRIAL = """
    import json, sys
    import dlkit
    params = dlkit.get_parameter()
    print("file", dlkit.__file__)
    print("params", json.dumps(params, sort_keys=True))
    for epoch in range(3):
        dlkit.report_loss(1.0 / (epoch + 1))
        dlkit.report_intermediate_result(epoch / 10)
        if dlkit.should_stop():
            break
    dlkit.report_final_result(params.get("lr", 0.5) * 100)
    sys.exit(0)  # right after the final report: nothing may be lost
"""


def test_trial_process_reports_to_the_reporter(tmp_path, start_reporter):
    server = start_reporter(stop_after=4)
    result = run(tmp_path, TRIAL, server.environment())
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "file " + os.path.join(package_root(), "dlkit", "__init__.py")
    assert json.loads(lines[1][len("params "):]) == PARAMS
    assert "[dlkit]" not in result.stdout  # sent, not printed
    assert server.fake.kinds_and_values() == [
        ("LOSS", 1.0, "default"),
        ("INTERMEDIATE", 0.0, "default"),
        ("LOSS", 0.5, "default"),
        ("INTERMEDIATE", 0.1, "default"),  # 4th report answers should_stop=True
        ("FINAL", PARAMS["lr"] * 100, "default"),
    ]
    assert set(server.fake.secrets) == {SECRET}


def test_trial_process_standalone_prints_lines(tmp_path):
    params = tmp_path / "p.json"
    params.write_text('{"lr": 0.002}')
    result = run(tmp_path, TRIAL, {}, "--dlkit-params", str(params))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        'params {"lr": 0.002}',
        "[dlkit] loss: 1.0",
        "[dlkit] intermediate_result: 0.0",
        "[dlkit] loss: 0.5",
        "[dlkit] intermediate_result: 0.1",
        "[dlkit] loss: 0.3333333333333333",
        "[dlkit] intermediate_result: 0.2",
        "[dlkit] final_result: 0.2",
    ]


NNI_TRIAL = """
    import nni
    params = nni.get_next_parameter()
    nni.report_intermediate_result({"default": params["batch_size"] / 100, "x": 1})
    nni.report_final_result(params["model"]["dropout"])
    print(nni.get_trial_id(), nni.get_sequence_id())
"""


def test_nni_trial_process(tmp_path, start_reporter):
    server = start_reporter()
    result = run(tmp_path, NNI_TRIAL, server.environment())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "trial-7 6"
    assert server.fake.kinds_and_values() == [
        ("INTERMEDIATE", 0.64, "default"),
        ("FINAL", 0.25, "default"),
    ]


FORKING_TRIAL = """
    import os
    import dlkit
    dlkit.report_intermediate_result(1)
    pid = os.fork()
    if pid == 0:  # a data-loader-like worker that reports too
        dlkit.report_loss(2)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
    dlkit.report_final_result(3)
"""


def test_forked_child_gets_its_own_channel(tmp_path, start_reporter):
    server = start_reporter()
    result = run(tmp_path, FORKING_TRIAL, server.environment())
    assert result.returncode == 0, result.stderr
    assert server.fake.kinds_and_values() == [
        ("INTERMEDIATE", 1.0, "default"),
        ("LOSS", 2.0, "default"),
        ("FINAL", 3.0, "default"),
    ]

"""Bad input gets a clear error and leaves nothing behind: over a hundred malformed configs and
raw RPCs (huge strings, deep nesting, NaN/Inf, negative counts, invalid UTF-8, path-traversal
ids, oversized and garbage messages) against one daemon, which answers `dlctl list` after."""

import json
import math
import os

import grpc
import pytest

import e2e

BASE = {
    "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
    "trialCommand": "true",
    "trialCodeDirectory": "/tmp",
    "maxTrialNumber": 1,
}


def _with(**changes):
    config = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        config[key] = value
    return json.dumps(config)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _bad_configs():
    """(label, config text) pairs, each wrong in one way."""
    yield "empty", ""
    yield "not json", "{this is not json"
    yield "a list", "[1, 2, 3]"
    yield "a number", "42"
    yield "null", "null"
    yield "deep nesting", '{"searchSpace": %s}' % _nested(5000)
    yield "deep object nesting", '{"a": ' * 3000 + "1" + "}" * 3000
    yield "huge key", json.dumps({"k" * 200000: 1})
    yield "huge string", _with(experimentName="n" * 2_000_000)
    yield "duplicate keys", '{"trialCommand": "a", "trialCommand": "b"}'
    yield "trailing garbage", _with() + "garbage"
    yield "number overflow", _with().replace('[0, 1]', '[0, 1e400]')  # found by test/fuzz
    yield "NaN literal", _with().replace('"maxTrialNumber": 1', '"maxTrialNumber": NaN')
    yield "Infinity literal", _with().replace('[0, 1]', '[0, Infinity]')
    yield "lone surrogate", '{"experimentName": "\\ud800"}'
    for key in ("trialConcurrency", "maxTrialNumber", "maxFailedTrials", "trialRetries"):
        for value in (-1, -2**63, 2**64, 1.5, "3", [], {}, True, 1e308):  # null: not set
            yield "%s=%r" % (key, value), _with(**{key: value})
    for value in ("-1h", "forever", "", 1e300, -5, [], "1w"):
        yield "duration %r" % (value,), _with(maxExperimentDuration=value)
    spaces = [
        {"x": {"_type": "uniform", "_value": [1, 0]}},
        {"x": {"_type": "uniform", "_value": [0, 1e400]}},
        {"x": {"_type": "loguniform", "_value": [0, 1]}},
        {"x": {"_type": "loguniform", "_value": [-1, 1]}},
        {"x": {"_type": "quniform", "_value": [0, 1, 0]}},
        {"x": {"_type": "quniform", "_value": [0, 1, -1]}},
        {"x": {"_type": "normal", "_value": [0, 0]}},
        {"x": {"_type": "normal", "_value": [0, -1]}},
        {"x": {"_type": "randint", "_value": [5, 5]}},
        {"x": {"_type": "randint", "_value": [0, 2**70]}},
        {"x": {"_type": "choice", "_value": []}},
        {"x": {"_type": "choice", "_value": [{"nested": 1}]}},
        {"x": {"_type": "choice", "_value": [{"_name": 3}]}},
        {"x": {"_type": "unknown", "_value": [0, 1]}},
        {"x": {"_type": "uniform"}},
        {"x": {"_value": [0, 1]}},
        {"x": {"_type": "uniform", "_value": [0]}},
        {"x": {"_type": "uniform", "_value": [0, 1, 2, 3]}},
        {"x": {"_type": "uniform", "_value": "0,1"}},
        {"x": {"_type": "uniform", "_value": [None, 1]}},
        {"x": {"_type": "uniform", "_value": ["a", "b"]}},
        {"x": 5},
        {"x": None},
        [],
        "space",
        {"": {"_type": "uniform", "_value": [0, 1]}},
        {"x": {"_type": "choice", "_value": [{"_name": "a", "y": {"_type": "uniform",
                                                                  "_value": [2, 1]}}]}},
    ]
    for i, space in enumerate(spaces):
        yield "space %d" % i, _with(searchSpace=space)
    for i, value in enumerate([5, [], {"name": ""}, {"name": "NoSuchTuner"},
                               {"name": "TPE", "classArgs": {"n_startup_jobs": -3}},
                               {"name": "TPE", "classArgs": "x"},
                               {"className": "my.Tuner"}]):
        yield "tuner %d" % i, _with(tuner=value)
    for i, value in enumerate([{"metric": ""}, {"direction": "up"}, 7,
                               {"metric": "m", "direction": "sideways"}]):
        yield "objective %d" % i, _with(objective=value)
    for i, value in enumerate([{"platform": "moon"}, {"platform": "local", "gpuIndices": "a,b"},
                               {"platform": "local", "gpuIndices": [-1]},
                               {"platform": "kubernetes"}, 5, [],
                               {"platform": "local", "maxTrialNumberPerGpu": 0}]):
        yield "training service %d" % i, _with(trainingService=value)
    for i, value in enumerate([{"DLKIT_TRIAL_SECRET": "x"}, {"1BAD": "x"}, [], {"A": {}}]):
        yield "trialEnv %d" % i, _with(trialEnv=value)
    yield "unknown key", _with(triaCommand="x")
    yield "no command", json.dumps({k: v for k, v in BASE.items() if k != "trialCommand"})
    yield "code dir traversal", _with(trialCodeDirectory="/nonexistent/../../nowhere")
    yield "search space file traversal", _with(searchSpaceFile="../../../../etc/shadow")


def _stubs(daemon: e2e.Daemon):
    from dlkit.v1 import launcher_pb2_grpc, manager_pb2_grpc
    channel = daemon.channel()
    return (channel, launcher_pb2_grpc.LauncherServiceStub(channel),
            manager_pb2_grpc.ManagerServiceStub(channel))


def _experiment_dirs(daemon: e2e.Daemon) -> set:
    root = os.path.join(daemon.home, "experiments")
    return set(os.listdir(root)) if os.path.isdir(root) else set()


def test_malformed_configs_get_a_clear_error_and_leave_nothing(daemon: e2e.Daemon) -> None:
    from dlkit.v1 import launcher_pb2
    channel, launcher, _ = _stubs(daemon)
    before = _experiment_dirs(daemon)
    configs = list(_bad_configs())
    assert len(configs) >= 100, len(configs)
    accepted = []
    for label, text in configs:
        try:
            launcher.SubmitExperiment(launcher_pb2.SubmitExperimentRequest(config_json=text),
                                      timeout=30)
        except grpc.RpcError as refused:
            code = refused.code()
            assert code in (grpc.StatusCode.INVALID_ARGUMENT,
                            grpc.StatusCode.FAILED_PRECONDITION,
                            grpc.StatusCode.NOT_FOUND), (label, code, refused.details()[:300])
            assert refused.details(), label  # says what is wrong
            continue
        accepted.append(label)
    assert accepted == [], accepted
    # The same through dlctl, from files: exit 2 and the problem's path on stderr.
    for label, text in configs[:10] + configs[-10:]:
        path = os.path.join(daemon.home, "..", "bad-%d.json" % abs(hash(label)))
        with open(path, "w") as f:
            f.write(text)
        proc = daemon.dlctl("submit", path, check=False)
        assert proc.returncode == 2, (label, proc.returncode, proc.stderr)
        assert proc.stderr.strip(), label
    assert _experiment_dirs(daemon) == before
    assert daemon.json("list") == [] or all(e["id"] in before for e in daemon.json("list"))
    channel.close()


def test_raw_rpcs_that_make_no_sense_are_refused_and_the_daemon_lives_on(
        daemon: e2e.Daemon) -> None:
    import dlkit
    from dlkit.v1 import launcher_pb2, manager_pb2, types_pb2
    channel, launcher, manager = _stubs(daemon)
    refused = 0

    def refuse(call, request):
        nonlocal refused
        try:
            call(request, timeout=30)
        except grpc.RpcError as err:
            assert err.code() != grpc.StatusCode.UNKNOWN, err.details()
            refused += 1
            return
        raise AssertionError("accepted: %r" % (str(request)[:300],))

    # Ids that would reach a path, or nothing at all.
    for bad_id in ("../../etc", "/etc/passwd", "..", "", "a/b", "x" * 100000, "\u202e",
                   "%2e%2e%2f", "id\n2"):
        refuse(launcher.GetExperiment, launcher_pb2.GetExperimentRequest(experiment_id=bad_id))
        refuse(launcher.StopExperiment, launcher_pb2.StopExperimentRequest(experiment_id=bad_id))
        refuse(launcher.DeleteExperiment,
               launcher_pb2.DeleteExperimentRequest(experiment_id=bad_id))
        refuse(manager.GetTrial, manager_pb2.GetTrialRequest(experiment_id=bad_id,
                                                             trial_id="../../x"))
    # A spec that is wrong in its typed fields.
    spec = types_pb2.ExperimentSpec(trial_command="true", trial_code_directory="/tmp",
                                    trial_concurrency=-5, max_trial_number=-1)
    spec.search_space.parameters.add(name="x", distribution=types_pb2.UNIFORM,
                                     args=[math.nan, math.inf])
    refuse(launcher.SubmitExperiment, launcher_pb2.SubmitExperimentRequest(spec=spec))
    # Bytes that are no message at all, invalid UTF-8 in a string, and an oversized message.
    raw = channel.unary_unary("/dlkit.v1.LauncherService/SubmitExperiment",
                              request_serializer=lambda b: b,
                              response_deserializer=lambda b: b)
    for garbage in (b"\xff" * 64, b"\x1a\x05\xc3\x28\xa0\xa1\xff", b"\x0a\xff\xff\xff\xff\x0f",
                    os.urandom(4096)):
        refuse(raw, garbage)
    refuse(launcher.SubmitExperiment,
           launcher_pb2.SubmitExperimentRequest(config_json="x" * (5 << 20)))
    # Metrics that are not numbers, and negative counts, on a real ask/tell trial.
    study = dlkit.Study.create({"x": {"_type": "uniform", "_value": [0, 1]}}, tuner="Random",
                               address=daemon.address, token=daemon.token)
    trial = study.ask()
    for kind, seq in ((types_pb2.FINAL, 1), (types_pb2.INTERMEDIATE, 0),
                      (types_pb2.INTERMEDIATE, -7)):
        refuse(manager.ReportTrialMetric, manager_pb2.ReportTrialMetricRequest(
            experiment_id=study.id, trial_id=trial.id, kind=kind, value=1.0, seq=seq))
    for value in (math.nan, math.inf, -math.inf):
        refuse(manager.ReportTrialMetric, manager_pb2.ReportTrialMetricRequest(
            experiment_id=study.id, trial_id=trial.id, kind=types_pb2.INTERMEDIATE,
            value=value, seq=1))
    refuse(manager.AskTrials, manager_pb2.AskTrialsRequest(experiment_id="nope", count=-3))
    refuse(manager.UpdateExperiment, manager_pb2.UpdateExperimentRequest(
        experiment_id=study.id, trial_concurrency=-1))
    assert refused >= 40, refused
    # Nothing that was refused was stored: the trial has no series, and everything answers.
    stored = [t for t in daemon.rpc_trials(study.id) if t.id == trial.id][0]
    assert list(stored.intermediate) == [] and not stored.has_final, stored
    assert study.tell(trial, 0.5) == "SUCCEEDED"
    assert study.id in [e["id"] for e in daemon.json("list")]
    assert daemon.dlctl("daemon", "status").returncode == 0
    study.close()
    channel.close()

"""Nobody else drives your daemon: every method of every service refuses a call without a
token (UNAUTHENTICATED), a read token cannot change anything (PERMISSION_DENIED), a trial's
session secret is good for its own TrialSession only, and dlctl finds the token by itself."""

import json
import os
import queue
import sys
import threading
import time

import grpc
import pytest

import e2e


def _all_methods():
    """Every (service, method) of dlkit.v1, from the generated descriptors."""
    from dlkit.v1 import launcher_pb2, manager_pb2, reporter_pb2, tuner_pb2
    for module in (launcher_pb2, manager_pb2, reporter_pb2, tuner_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                yield service, method


def _raw_call(channel, service, method, token=None, timeout=10.0):
    """Calls `method` with an empty request; returns the status code."""
    path = "/%s/%s" % (service.full_name, method.name)
    metadata = (("authorization", "Bearer " + token),) if token else None
    identity = lambda b: b  # noqa: E731
    try:
        if method.client_streaming and method.server_streaming:
            call = channel.stream_stream(path, request_serializer=identity,
                                         response_deserializer=identity)
            for _ in call(iter([]), metadata=metadata, timeout=timeout):
                pass
        elif method.server_streaming:
            call = channel.unary_stream(path, request_serializer=identity,
                                        response_deserializer=identity)
            for _ in call(b"", metadata=metadata, timeout=timeout):
                break
        else:
            channel.unary_unary(path, request_serializer=identity,
                                response_deserializer=identity)(b"", metadata=metadata,
                                                                timeout=timeout)
        return grpc.StatusCode.OK
    except grpc.RpcError as err:
        return err.code()


def test_every_method_refuses_a_call_without_a_token(daemon: e2e.Daemon) -> None:
    served = {"dlkit.v1.LauncherService", "dlkit.v1.ManagerService", "dlkit.v1.TunerService"}
    checked = 0
    with grpc.insecure_channel(daemon.address) as channel:
        for service, method in _all_methods():
            if service.full_name not in served:
                continue  # ReporterService: each trial's own, on a socket in its private folder
            code = _raw_call(channel, service, method)
            if method.name == "TrialSession":
                continue  # proves itself with the trial's secret: tested below
            assert code == grpc.StatusCode.UNAUTHENTICATED, (service.full_name, method.name, code)
            # A wrong token is no better.
            code = _raw_call(channel, service, method, token="0" * 64)
            assert code == grpc.StatusCode.UNAUTHENTICATED, (service.full_name, method.name, code)
            checked += 1
    assert checked >= 30, checked


def test_dlctl_finds_the_token_and_a_wrong_one_is_refused(daemon: e2e.Daemon) -> None:
    token_file = os.path.join(daemon.home, "token")
    assert os.stat(token_file).st_mode & 0o777 == 0o600
    assert daemon.dlctl("list").returncode == 0
    result = daemon.dlctl("list", check=False, env={"DLKIT_TOKEN": "not-the-token"})
    assert result.returncode != 0 and "UNAUTHENTICATED" in result.stderr, result.stderr


def test_a_read_token_reads_but_cannot_change_anything(daemon: e2e.Daemon,
                                                        workdir: str) -> None:
    from dlkit.v1 import launcher_pb2, launcher_pb2_grpc, manager_pb2, manager_pb2_grpc
    created = daemon.json("token", "create", "viewer", "--role", "read")
    assert created["role"] == "read" and len(created["token"]) == 64, created
    listed = daemon.json("token", "list")
    assert {"name": "viewer", "role": "read"} in listed, listed
    read_env = {"DLKIT_TOKEN": created["token"]}
    assert daemon.dlctl("list", env=read_env).returncode == 0
    config = e2e.write_config(workdir, "read-role.json", {
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "true", "maxTrialNumber": 1})
    for argv in (["submit", config], ["stop", "nosuchexp"], ["daemon", "stop"],
                 ["token", "create", "other", "--role", "admin"]):
        result = daemon.dlctl(*argv, check=False, env=read_env)
        assert result.returncode != 0 and "PERMISSION_DENIED" in result.stderr, (argv, result.stderr)
    with daemon.channel(created["token"]) as channel:
        launcher = launcher_pb2_grpc.LauncherServiceStub(channel)
        manager = manager_pb2_grpc.ManagerServiceStub(channel)
        launcher.ListExperiments(launcher_pb2.ListExperimentsRequest(), timeout=10)
        for call, request in ((manager.KillTrial, manager_pb2.KillTrialRequest(
                experiment_id="x", trial_id="y")),
                              (manager.UpdateExperiment, manager_pb2.UpdateExperimentRequest(
                                  experiment_id="x")),
                              (launcher.DeleteExperiment, launcher_pb2.DeleteExperimentRequest(
                                  experiment_id="x"))):
            with pytest.raises(grpc.RpcError) as err:
                call(request, timeout=10)
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED, err.value
    # Revoked, it is refused.
    daemon.dlctl("token", "revoke", "viewer")
    result = daemon.dlctl("list", check=False, env=read_env)
    assert "UNAUTHENTICATED" in result.stderr, result.stderr


def _hello_answer(daemon: e2e.Daemon, trial_id: str, experiment_id: str, secret: str):
    """Opens a TrialSession as `trial_id` with `secret`: the status it ends with, or OK when
    the Manager accepted the hello (sent parameters)."""
    from dlkit.v1 import manager_pb2, manager_pb2_grpc
    requests: "queue.Queue" = queue.Queue()
    requests.put(manager_pb2.TrialSessionRequest(hello=manager_pb2.TrialHello(
        trial_id=trial_id, experiment_id=experiment_id, secret=secret, pid=os.getpid())))

    def stream():
        while True:
            item = requests.get()
            if item is None:
                return
            yield item

    with grpc.insecure_channel(daemon.address) as channel:
        calls = manager_pb2_grpc.ManagerServiceStub(channel).TrialSession(stream(), timeout=15)
        try:
            for response in calls:
                if response.HasField("parameters"):
                    return grpc.StatusCode.OK
        except grpc.RpcError as err:
            return err.code()
        finally:
            requests.put(None)
            calls.cancel()
    return grpc.StatusCode.UNKNOWN


def test_a_trial_secret_is_good_for_its_own_session_only(daemon: e2e.Daemon,
                                                         workdir: str) -> None:
    from dlkit.v1 import launcher_pb2, launcher_pb2_grpc
    folder = os.path.join(workdir, "secrets")
    os.mkdir(folder)
    config = e2e.write_config(workdir, "secrets.json", {
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "%s secret_trial.py" % sys.executable, "maxTrialNumber": 2,
        "trialConcurrency": 2, "trialEnv": {"AUTH_TEST_DIR": folder}})
    experiment_id = daemon.submit(config)
    e2e.wait_until(lambda: len([f for f in os.listdir(folder) if f.endswith(".json")]) == 2,
                   60, "both trials wrote their secrets")
    a, b = [json.load(open(os.path.join(folder, f), encoding="utf-8"))
            for f in sorted(os.listdir(folder)) if f.endswith(".json")]
    try:
        # Trial A's secret cannot open trial B's session.
        assert _hello_answer(daemon, b["trial_id"], experiment_id, a["secret"]) == \
            grpc.StatusCode.PERMISSION_DENIED
        # Nor call any Launcher or Manager method as a token.
        with grpc.insecure_channel(daemon.address) as channel:
            for service, method in _all_methods():
                if service.full_name == "dlkit.v1.LauncherService":
                    assert _raw_call(channel, service, method, token=a["secret"]) == \
                        grpc.StatusCode.UNAUTHENTICATED, method.name
        with daemon.channel(a["secret"]) as channel:
            with pytest.raises(grpc.RpcError) as err:
                launcher_pb2_grpc.LauncherServiceStub(channel).ListExperiments(
                    launcher_pb2.ListExperimentsRequest(), timeout=10)
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        open(os.path.join(folder, "release"), "w", encoding="utf-8").close()
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 90)
    assert status["status"] == "DONE", status
    assert all(t["status"] == "SUCCEEDED" for t in daemon.trials(experiment_id))


def _grpc_web(url: str, method: str, cookie: str = "", origin: str = "") -> str:
    """POSTs an empty gRPC-web request; returns the grpc-status of the answer."""
    import urllib.request
    headers = {"Content-Type": "application/grpc-web+proto"}
    if cookie:
        headers["Cookie"] = cookie
    if origin:
        headers["Origin"] = origin
    request = urllib.request.Request("%s/%s" % (url, method), data=b"\x00\x00\x00\x00\x00",
                                     headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read().decode("latin1")
    marker = body.find("grpc-status:")
    assert marker >= 0, body
    return body[marker + len("grpc-status:"):].split("\r\n")[0].strip()


def test_the_dashboard_holds_a_read_login_to_reading(daemon: e2e.Daemon) -> None:
    import http.client
    import urllib.parse
    created = daemon.json("token", "create", "dash-reader", "--role", "read")
    status = daemon.json("daemon", "status")
    read_status = json.loads(daemon.dlctl("daemon", "status", "--output", "json",
                                          env={"DLKIT_TOKEN": created["token"]}).stdout)
    link = urllib.parse.urlsplit(read_status["dashboard"])
    base = "http://%s" % link.netloc
    # Without the cookie: refused.
    assert _grpc_web(base, "dlkit.v1.LauncherService/ListExperiments") == "16"
    connection = http.client.HTTPConnection(link.netloc, timeout=10)
    connection.request("GET", "%s?%s" % (link.path, link.query))
    answer = connection.getresponse()
    assert answer.status == 303, answer.status
    cookie = answer.getheader("Set-Cookie").split(";")[0]
    connection.close()
    # A read session lists, but cannot stop, even from the dashboard's own origin.
    assert _grpc_web(base, "dlkit.v1.LauncherService/ListExperiments", cookie) == "0"
    assert _grpc_web(base, "dlkit.v1.LauncherService/StopExperiment", cookie, base) == "7"
    # An admin session from another site's page is refused (Origin), as is one without it.
    admin = urllib.parse.urlsplit(status["dashboard"])
    connection = http.client.HTTPConnection(admin.netloc, timeout=10)
    connection.request("GET", "%s?%s" % (admin.path, admin.query))
    admin_cookie = connection.getresponse().getheader("Set-Cookie").split(";")[0]
    connection.close()
    assert _grpc_web(base, "dlkit.v1.LauncherService/StopExperiment", admin_cookie) == "7"
    import urllib.error
    with pytest.raises(urllib.error.HTTPError) as refused:
        _grpc_web(base, "dlkit.v1.LauncherService/StopExperiment", admin_cookie,
                  "http://evil.example")
    assert refused.value.code == 403
    # From its own origin the admin session gets through to the Launcher (which then finds
    # no such experiment: the call was let in).
    assert _grpc_web(base, "dlkit.v1.LauncherService/StopExperiment", admin_cookie,
                     base) not in ("7", "16")

"""Beyond loopback: a daemon with --tls_cert/--tls_key speaks TLS on its gRPC port; dlctl and
dlkit.Study reach it with the CA (DLKIT_TLS_CA / --tls-ca), a plain client does not, local
trials still run (through the home's private socket), and a non-loopback bind without TLS
stays refused."""

import os
import shutil
import subprocess
import tempfile

import grpc
import pytest

import e2e


@pytest.fixture(scope="module")
def tls_daemon():
    # A short home: the trials' Unix socket path must fit in 108 bytes.
    home = tempfile.mkdtemp(prefix="dlkit-tls-", dir="/tmp")
    cert, key = os.path.join(home, "cert.pem"), os.path.join(home, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    daemon = e2e.Daemon(os.path.join(home, "home"))
    daemon.env["DLKIT_TLS_CA"] = cert
    log = open(os.path.join(home, "dlkitd.log"), "w", encoding="utf-8")
    process = subprocess.Popen([e2e.DLKITD, "--home=" + daemon.home, "--address=" + daemon.address,
                                "--gateway_address=off", "--tls_cert=" + cert, "--tls_key=" + key],
                               env=daemon.env, stdout=log, stderr=log)
    try:
        e2e.wait_until(lambda: daemon.dlctl("list", check=False).returncode == 0, 30,
                       "the TLS daemon answers dlctl")
        yield daemon, cert, home
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        with open(log.name, encoding="utf-8") as f:
            print(f.read())
        shutil.rmtree(home, ignore_errors=True)


def test_dlctl_reaches_a_tls_daemon_only_with_its_ca(tls_daemon) -> None:
    daemon, cert, _ = tls_daemon
    assert daemon.dlctl("daemon", "status").returncode == 0
    plain = dict(daemon.env)
    plain.pop("DLKIT_TLS_CA")
    result = subprocess.run([e2e.DLCTL, "list"], env=plain, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "UNAVAILABLE" in result.stderr, result.stderr
    # Through the global flag instead of the variable.
    result = subprocess.run([e2e.DLCTL, "list", "--tls-ca", cert], env=plain,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_plain_grpc_client_gets_nothing_from_a_tls_port(tls_daemon) -> None:
    daemon, _, _ = tls_daemon
    from dlkit.v1 import launcher_pb2, launcher_pb2_grpc
    with grpc.insecure_channel(daemon.address) as channel:
        with pytest.raises(grpc.RpcError) as err:
            launcher_pb2_grpc.LauncherServiceStub(channel).ListExperiments(
                launcher_pb2.ListExperimentsRequest(), timeout=5,
                metadata=(("authorization", "Bearer " + daemon.token),))
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_local_trials_and_a_study_run_against_a_tls_daemon(tls_daemon, monkeypatch) -> None:
    daemon, cert, home = tls_daemon
    config = e2e.write_config(home, "tls.json", {
        "searchSpace": {"x": {"_type": "uniform", "_value": [0, 1]}},
        "trialCommand": "%s sdk_trial.py --sleep 0" % e2e.PYTHON, "maxTrialNumber": 2})
    experiment_id = daemon.submit(config)
    status = daemon.wait_status(experiment_id, ["DONE", "FAILED", "STOPPED"], 90)
    assert status["status"] == "DONE", status
    assert [t["status"] for t in daemon.trials(experiment_id)] == ["SUCCEEDED"] * 2
    import dlkit
    monkeypatch.setenv("DLKIT_TLS_CA", cert)
    study = dlkit.Study.create({"x": {"_type": "uniform", "_value": [0, 1]}}, tuner="Random",
                               address=daemon.address, token=daemon.token)
    trial = study.ask()
    assert study.tell(trial, 0.5) == "SUCCEEDED"
    study.close()


def test_a_non_loopback_bind_without_tls_is_refused(tmp_path) -> None:
    result = subprocess.run([e2e.DLKITD, "--home=%s" % tmp_path, "--address=0.0.0.0:0",
                             "--gateway_address=off"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--tls_cert" in result.stderr, result.stderr

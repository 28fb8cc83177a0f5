"""Shared fixtures: a clean environment per test and a fake Reporter on a unix socket."""

import os
from typing import Any, Callable, Iterator

import pytest

import dlkit
from fake_reporter import FakeReporter, ReporterServer

SECRET = "s3cret-for-trial-7"

PARAMS = {
    "lr": 0.003,
    "batch_size": 64,
    "optimizer": "adam",
    "use_bn": True,
    "model": {"_name": "cnn", "channels": 32, "dropout": 0.25},
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No DLKIT_*/NNI_* variables from outside leak in; the SDK starts afresh each test."""
    for key in list(os.environ):
        if key.startswith("DLKIT_") or key.startswith("NNI_"):
            monkeypatch.delenv(key)
    dlkit._reset()
    yield
    dlkit._reset()


@pytest.fixture
def start_reporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ReporterServer]]:
    """Starts a FakeReporter (kwargs as FakeReporter's) and points the SDK's env at it."""
    servers = []

    def start(**kwargs: Any) -> ReporterServer:
        kwargs.setdefault("secret", SECRET)
        kwargs.setdefault("params", PARAMS)
        server = ReporterServer(FakeReporter(**kwargs))
        servers.append(server)
        for key, value in server.environment().items():
            monkeypatch.setenv(key, value)
        return server

    yield start
    dlkit._reset()
    for server in servers:
        server.stop()


@pytest.fixture
def reporter(start_reporter: Callable[..., ReporterServer]) -> ReporterServer:
    return start_reporter()

"""Fixtures: one daemon per test module (fresh $DLKIT_HOME, free port), stopped at the end."""

import os
from typing import Iterator

import pytest

import e2e


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A folder for configs and trial records, shared by a module's tests."""
    return str(tmp_path_factory.mktemp("work"))


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory,
           request: pytest.FixtureRequest) -> Iterator[e2e.Daemon]:
    d = e2e.Daemon(str(tmp_path_factory.mktemp("home")))
    d.start()
    try:
        yield d
    finally:
        d.stop()
        d.save_logs(request.module.__name__)

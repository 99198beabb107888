"""Fixtures for end-to-end tests against a real Postfix (see postfix.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.postfix import (
    REQUIRED_BINARIES,
    MilterFactory,
    MilterProcess,
    MilterSpec,
    PostfixFactory,
    PostfixInstance,
    Sink,
)

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e with ``e2e``."""
    for item in items:
        if E2E_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def postfix_binaries() -> None:
    """Fail (never skip) when Postfix is not installed or we are not root."""
    missing = [str(p) for p in REQUIRED_BINARIES if not p.exists()]
    if missing:
        pytest.fail(
            f"e2e tests need the Postfix package; missing {', '.join(missing)}"
            " (apt-get install postfix)",
            pytrace=False,
        )
    if os.geteuid() != 0:
        pytest.fail("e2e tests must run as root (Postfix master, postdrop)", pytrace=False)


@pytest.fixture(scope="module")
def sink_server() -> Iterator[Sink]:
    """One SMTP sink per test module."""
    server = Sink()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sink(sink_server: Sink) -> Sink:
    """The module's sink, emptied for this test."""
    sink_server.clear()
    return sink_server


@pytest.fixture
def postfix_factory(postfix_binaries: None, sink: Sink) -> Iterator[PostfixFactory]:
    """``make(milter_port, local_milter_port, master_extra="", **main_cf_overrides)`` ->
    started instance (``master_extra``: master.cf services added or replaced).

    A milter is a port on 127.0.0.1, a literal milter spec, or "" for none. Every
    instance is stopped at teardown, which also prints its maillog tail (shown on failure).
    """
    instances: list[PostfixInstance] = []

    def make(
        milter_port: MilterSpec,
        local_milter_port: MilterSpec,
        *,
        master_extra: str = "",
        **overrides: object,
    ) -> PostfixInstance:
        instance = PostfixInstance(
            _instance_dir(),
            relay_port=sink.port,
            smtpd_milter=milter_port,
            non_smtpd_milter=local_milter_port,
            overrides=overrides,
            master_extra=master_extra,
        )
        instances.append(instance)
        instance.start()
        return instance

    yield make
    for instance in instances:
        instance.stop()
        print(f"--- maillog of {instance.base_dir}:\n{instance.log_text()[-5000:]}")
        shutil.rmtree(instance.base_dir, ignore_errors=True)


def _instance_dir() -> Path:
    """A directory of its own under /tmp for one Postfix instance.

    Not under pytest's basetemp: Postfix's daemons (user postfix) must traverse every parent,
    and another pytest session resets /tmp/pytest-of-root to 0700 when it starts.
    """
    path = Path(tempfile.mkdtemp(prefix="postwarden-pf-"))
    path.chmod(0o711)
    return path


@pytest.fixture
def milter_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilterFactory]:
    """``make(argv, ports, **kwargs)`` -> started MilterProcess, stopped at teardown."""
    processes: list[MilterProcess] = []

    def make(argv: Sequence[str], ports: Sequence[int], **kwargs: Any) -> MilterProcess:
        process = MilterProcess(
            argv, ports, tmp_path_factory.mktemp("milter") / "milter.log", **kwargs
        )
        processes.append(process)
        process.start()
        return process

    yield make
    for process in processes:
        process.stop()
        print(f"--- log of milter {process.argv}:\n{process.log_text()[-5000:]}")

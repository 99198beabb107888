"""A real Redis server on loopback for tests (Debian's redis-server), stopped by its own PID.

SYNOPSIS
    with RedisServer(tmp_path) as server:
        server.url            'redis://127.0.0.1:PORT/0' -- give this to the policy
        server.stop()         stop it early (e.g. to test a store that is down)

DESCRIPTION
    Runs ``redis-server`` in the foreground on 127.0.0.1 and a free port, without persistence
    (no RDB snapshots, no AOF) and with its working directory in the test's temporary
    directory, and waits until it answers PING. A missing redis-server binary raises
    RedisServerError (fixtures turn that into a failure, never a skip): ``make test`` installs
    it (the Makefile's DEB_PACKAGES).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis

from tests.support.ports import free_port


class RedisServerError(RuntimeError):
    pass


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisServerError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        workdir.mkdir(parents=True, exist_ok=True)
        self._log = (workdir / f"redis-{self.port}.log").open("wb")
        self._proc = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(workdir), "--protected-mode", "yes"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.exceptions.ConnectionError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RedisServerError(f"redis-server did not start on {self.port}") from None
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._log.close()

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()

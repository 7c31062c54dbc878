"""The real servers the scale tests use: PostgreSQL and Redis, found through the environment.

``scripts/services`` (which ``scripts/test`` and ``.ci/run`` use) starts both and sets
``TRACKMAP_TEST_POSTGRES`` and ``TRACKMAP_TEST_REDIS``. Without them a test skips with a reason
naming the variable, except under CI (``CI`` set), where a missing server is a failure: CI must
never pass by skipping. `PostgresServer` and `RedisServer` start private servers for the tests
that kill one mid-push.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

POSTGRES = "TRACKMAP_TEST_POSTGRES"
REDIS = "TRACKMAP_TEST_REDIS"


def required(variable: str) -> str:
    """The URL in ``variable``; a skip locally, a failure under CI, when it is not set."""
    value = os.environ.get(variable, "")
    if value:
        return value
    reason = f"{variable} is not set: run the tests through scripts/test (scripts/services)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; under CI a missing server is a failure.")
    pytest.skip(reason)
    raise AssertionError  # pragma: no cover - skip raises


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    msg = f"nothing listens on 127.0.0.1:{port}"
    raise TimeoutError(msg)


def _pg_bin() -> pathlib.Path | None:
    found = sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return pathlib.Path(found[-1]).parent if found else None


class PostgresServer:
    """A private PostgreSQL on a free port, which a test may kill and restart.

    Its data lives in a directory of its own under the system's temporary directory (pytest's
    are private to root, and PostgreSQL runs as the ``postgres`` user when we are root).
    """

    def __init__(self) -> None:
        binaries = _pg_bin()
        if binaries is None:
            required("TRACKMAP_TEST_PG_BINARIES_PRESENT")  # skip locally, fail under CI
            raise AssertionError  # pragma: no cover
        self.bin = binaries
        directory = pathlib.Path(tempfile.mkdtemp(prefix="trackmap-pg-"))
        directory.chmod(0o755)
        self.directory = directory
        self.data = directory / "pg"
        self.port = free_port()
        self.url = f"postgresql://trackmap@127.0.0.1:{self.port}/postgres"
        self.data.mkdir(parents=True)
        self._chown(directory)
        self._run("initdb", "-D", str(self.data), "-U", "trackmap", "--auth=trust", "-E", "UTF8")

    def _chown(self, directory: pathlib.Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres")
            shutil.chown(self.data, "postgres")

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        # synchronous_commit off, as some hosts run it: the ledger must make its intents
        # durable anyway (tests/test_postgres_faults.py kills this server mid-push).
        options = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off"
        )
        log = str(self.data / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")

    def kill(self) -> None:
        """Stop at once, as a crash would (no checkpoint, sessions cut)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def postgres_server(directory: pathlib.Path | None = None) -> Iterator[PostgresServer]:
    """A private PostgreSQL, started, and stopped afterwards (``directory`` is not used)."""
    del directory
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    """A private redis-server on a free port, which a test may kill and restart."""

    def __init__(self, directory: pathlib.Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            required("TRACKMAP_TEST_REDIS_SERVER_PRESENT")
            raise AssertionError  # pragma: no cover
        self.executable = executable
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.executable,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=30)
            self.process = None


@contextlib.contextmanager
def redis_server(directory: pathlib.Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.kill()

"""A real PostgreSQL for the city tests and the benchmark, in a temporary folder.

Debian's ``initdb``/``pg_ctl`` (postgresql-15), listening on 127.0.0.1 at a free port and
on a unix socket in its own folder. PostgreSQL refuses to run as root, so as root the
cluster belongs to ``nobody`` (``runuser``). The superuser ``postgres`` has a password
(TCP asks for it: scram-sha-256), so the tests go through the same password path as a
hall. :func:`pg_server` is the pytest fixture (one cluster per test module); tests are
skipped with the reason when the binaries are missing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.polling import free_port

PG_BIN = Path(os.environ.get("JIAOHAO_PG_BIN", "/usr/lib/postgresql/15/bin"))
SUPER_PASSWORD = "city-test-secret"


class PgCluster:
    """One throwaway PostgreSQL cluster: ``start()``, ``url(db)``, ``stop()``, ``remove()``."""

    def __init__(self, fsync: bool = False, settings: dict[str, str] | None = None):
        self.fsync = fsync
        self.settings = settings or {}
        self.dir = Path(tempfile.mkdtemp(prefix="jiaohao-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.dir, "nobody")
        (self.dir / "pw").write_text(SUPER_PASSWORD + "\n")
        if self.as_root:
            shutil.chown(self.dir / "pw", "nobody")

    @staticmethod
    def available() -> str | None:
        """None when a cluster can be made here, else the reason it cannot."""
        if not (PG_BIN / "initdb").exists():
            return f"PostgreSQL binaries not found in {PG_BIN} (apt install postgresql)"
        if os.geteuid() == 0 and not shutil.which("runuser"):
            return "running as root and runuser is missing (postgres refuses root)"
        return None

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "nobody", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.dir)

    def init(self) -> None:
        r = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--pwfile", str(self.dir / "pw"),
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        if r.returncode:
            raise RuntimeError(f"initdb failed: {r.stderr or r.stdout}")

    def start(self) -> "PgCluster":
        if not self.data.exists():
            self.init()
        opts = {"listen_addresses": "127.0.0.1", "port": str(self.port),
                "unix_socket_directories": str(self.dir), "fsync": "on" if self.fsync else "off",
                "synchronous_commit": "on" if self.fsync else "off", "full_page_writes": "on" if self.fsync else "off",
                "max_connections": "200", **self.settings}
        o = " ".join(f"-c {k}={v}" for k, v in opts.items())
        r = self._run("pg_ctl", "-D", str(self.data), "-o", o, "-l", str(self.dir / "log"), "-w", "-t", "60", "start")
        if r.returncode:
            log = (self.dir / "log").read_text(errors="replace")[-2000:] if (self.dir / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {r.stderr or r.stdout}\n{log}")
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db: str = "postgres", user: str = "postgres", password: str | None = SUPER_PASSWORD,
            port: int | None = None) -> str:
        auth = f"{user}:{password}@" if password else f"{user}@"
        return f"postgresql://{auth}127.0.0.1:{port or self.port}/{db}"

    def create_database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def wait_down(self, timeout: float = 10) -> None:
        end = time.monotonic() + timeout
        while (self.data / "postmaster.pid").exists() and time.monotonic() < end:
            time.sleep(0.05)


@pytest.fixture(scope="module")
def pg_cluster():
    reason = PgCluster.available()
    if reason:
        pytest.skip(reason)
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.remove()

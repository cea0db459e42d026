"""A real, throwaway PostgreSQL (Debian's `postgresql` package) in a temporary folder on loopback.

initdb refuses to run as root, and CI runs as root: then every server command runs as the
`postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/<v>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    def __init__(self, database: str = "prefect") -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL is not installed (.ci/run installs it: apt-get install postgresql)"
            )
        self.bin = bindir
        self.database = database
        self.port = _free_port()
        # Not under pytest's tmp_path: its parents are private to root, and the server may run as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="newsroom-pg-"))
        self.data = self.root / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        """For Prefect: PREFECT_API_DATABASE_CONNECTION_URL."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *command: str) -> str:
        done = subprocess.run(
            [*self.as_user, *command], capture_output=True, text=True, timeout=120, cwd=self.root
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> PostgresServer:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync"
        )
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )
        self.sql(f"CREATE DATABASE {self.database}", database="postgres")
        return self

    def sql(self, query: str, database: str | None = None) -> list[list[str]]:
        """Rows of a query, as psql prints them unaligned."""
        out = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database or self.database,
            "-tA", "-F", "\t", "-c", query,
        )  # fmt: skip
        return [line.split("\t") for line in out.splitlines() if line]

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except Exception:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()

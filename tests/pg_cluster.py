"""A throwaway PostgreSQL cluster for the tests: ``initdb`` in a temporary directory, a server
on a Unix socket only, stopped (and the directory removed) at the end.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` system
user (the one the server package creates) and its commands run through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

ENABLE = (
    "install the PostgreSQL server (initdb, pg_ctl and postgres on the PATH or in "
    "/usr/lib/postgresql/*/bin; as root, with its 'postgres' system user), or name a server "
    "in MENTORFLOW_TEST_POSTGRES (a DSN, e.g. 'host=/run/postgresql dbname=test')"
)


class ClusterUnavailable(Exception):
    """No cluster can be started here; the message says why."""


def _binaries() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    raise ClusterUnavailable("no pg_ctl on the PATH nor in /usr/lib/postgresql/*/bin")


class Cluster:
    """A PostgreSQL cluster of its own, in a temporary directory, on a Unix socket."""

    def __init__(self, *, fsync: bool = False) -> None:
        self.fsync = fsync  # off for the tests (they crash processes, never the machine)
        self.bin = _binaries()
        self.user: str | None = None
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable(
                    "running as root, and there is no 'postgres' system user to run the "
                    "server as (PostgreSQL refuses root)"
                ) from None
            self.user = "postgres"
        self.root = Path(tempfile.mkdtemp(prefix="mentorflow-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "socket"
        self.socket.mkdir()
        self.log = self.root / "server.log"
        if self.user is not None:
            for path in (self.root, self.socket):
                shutil.chown(path, self.user, self.user)
        self.dsn = f"host={self.socket} port=5432 user=postgres dbname=postgres"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bin / command[0]), *command[1:]]
        if self.user is not None:
            argv = ["runuser", "-u", self.user, "--", *argv]
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=120)
        except subprocess.CalledProcessError as err:
            raise ClusterUnavailable(
                f"{' '.join(argv)} failed ({err.returncode}): {err.stderr.strip()[-500:]}"
            ) from None

    def start(self) -> Cluster:
        """initdb (the first time) and start the server; wait until it accepts connections."""
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
        options = f"-k {self.socket} -c listen_addresses='' -c max_connections=200"
        if not self.fsync:
            options += " -c fsync=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")
        return self

    def kill(self) -> None:
        """Stop the server at once, as a crash would (``pg_ctl stop -m immediate``)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        """Stop the server, and remove the cluster's directory."""
        with contextlib.suppress(ClusterUnavailable):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

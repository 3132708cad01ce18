"""Real PostgreSQL and Redis servers for tests, started from the Debian packages.

Each starts on a free port in a private temp folder and is stopped afterwards;
when a binary is missing or cannot start, the caller skips with the reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.utils.processes import free_port


class ServiceUnavailable(RuntimeError):
    """The service could not be started here; the message says why."""


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    matches = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return matches[-1] if matches else None


def _run(cmd: list[str], what: str, log: Path | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        tail = log.read_text()[-1500:] if log and log.is_file() else ""
        raise ServiceUnavailable(f"{what} failed ({proc.returncode}): "
                                 f"{(proc.stderr or proc.stdout)[-1500:]}{tail}")


@contextmanager
def postgres_server() -> Iterator[str]:
    """initdb + pg_ctl as a non-root user; yields a SQLAlchemy URL (psycopg 3)."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise ServiceUnavailable("PostgreSQL is not installed (Debian: apt-get install "
                                 "postgresql; .ci/setup-services.sh does it)")
    base = Path(tempfile.mkdtemp(prefix="sift-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ServiceUnavailable("running as root and no 'postgres' user exists") from exc
        os.chown(base, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log, port = base / "data", base / "server.log", free_port()
    try:
        _run([*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "sift", "-E", "UTF8",
              "--no-sync"], "initdb")
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run([*prefix, pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
              options, "start"], "pg_ctl start", log)
        try:
            yield f"postgresql+psycopg://sift@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*prefix, pg_ctl, "-D", str(data), "-m", "fast", "stop"],
                           capture_output=True, timeout=60)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """A throw-away redis-server (no persistence); yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceUnavailable("redis-server is not installed (Debian: apt-get install "
                                 "redis-server; .ci/setup-services.sh does it)")
    import redis

    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise ServiceUnavailable("redis-server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)

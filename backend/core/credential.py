"""The local credential `make run` creates on first run, so the UI's feedback works.

`sift serve` binds API and UI to 127.0.0.1, where only this machine's users reach them;
there one admin token in `.env` (read by the API like every setting) is handed to the UI
as SIFT_API_TOKEN. Nothing else creates a credential: Docker and compose never call this,
and `sift serve --host 0.0.0.0` does not either (there it must be set on purpose).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
KEY = "API_TOKEN"


def read_env_value(env_file: Path, key: str = KEY) -> str | None:
    """`key`'s value in a dotenv file (quotes stripped), or None."""
    if not env_file.is_file():
        return None
    for line in env_file.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.strip().removeprefix("export ").strip() == key:
            return value.strip().strip("'\"") or None
    return None


def ensure_local_credential(env_file: Path, host: str) -> tuple[str | None, bool]:
    """The admin token API and UI share, and whether it was created just now.

    The environment's API_TOKEN wins, then `.env`'s; only on a loopback host is a new one
    written to `.env` (mode 600)."""
    existing = os.environ.get(KEY) or read_env_value(env_file)
    if existing or host not in LOOPBACK:
        return existing, False
    token = secrets.token_urlsafe(32)
    env_file.touch(mode=0o600, exist_ok=True)
    text = env_file.read_text(encoding="utf-8")
    with env_file.open("a", encoding="utf-8") as out:
        out.write(("" if not text or text.endswith("\n") else "\n")
                  + "# created by `make run` (sift serve) for API and UI on 127.0.0.1: the admin "
                  "token\n" + f"{KEY}={token}\n")
    env_file.chmod(0o600)
    return token, True

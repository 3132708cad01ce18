"""Credentials every test can send: the writer key for POST /v1/feedback (issue 19).

In-process apps: `make_settings(root, **writer_settings())`; a uvicorn subprocess:
`env.update(writer_env())`; then send `WRITER_HEADERS` (or the `writer_headers` fixture).
"""

from __future__ import annotations

import json

WRITER_NAME = "tests-writer"
WRITER_TOKEN = "writer-token-for-tests-0123456789"
WRITER_HEADERS = {"Authorization": f"Bearer {WRITER_TOKEN}"}


def writer_settings(name: str = WRITER_NAME, token: str = WRITER_TOKEN) -> dict[str, object]:
    """Settings keyword arguments that give one client a writer key."""
    return {"WRITER_TOKENS": {name: token}}


def writer_env(name: str = WRITER_NAME, token: str = WRITER_TOKEN) -> dict[str, str]:
    """The same as environment variables, for a server in a subprocess."""
    return {"WRITER_TOKENS": json.dumps({name: token})}


def bearer(token: str) -> dict[str, str]:
    """An Authorization header for `token`."""
    return {"Authorization": f"Bearer {token}"}

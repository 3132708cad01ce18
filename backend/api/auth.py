"""The one bearer-token check: who is calling, and whether that caller may do this.

Two kinds of credential (docs/security.md): the admin `API_TOKEN` (everything) and
per-client writer keys in `WRITER_TOKENS` (feedback, and reads when they need a token).
Every comparison is constant-time and every configured token is compared, so the time
taken does not tell which one nearly matched.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from starlette.types import Scope

from backend.core.config import Settings
from backend.core.errors import ProblemError

# Reachable without a token even when REQUIRE_TOKEN_FOR_READS is on: probes and the docs.
OPEN_PATHS = frozenset({"/health", "/ready", "/docs", "/docs/oauth2-redirect", "/redoc",
                        "/openapi.json"})
DOCS_ASSETS = "/static-offline-docs/"  # Swagger UI / ReDoc files (backend/api/docs.py)
ADMIN = "admin"
Role = Literal["admin", "writer"]


@dataclass(frozen=True)
class Caller:
    """An authenticated client: `name` is recorded with what it writes and keys its quotas."""

    name: str
    role: Role


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def identify(settings: Settings, token: str | None) -> Caller | None:
    """The caller `token` belongs to, or None (no token, or not one of ours)."""
    if token is None:
        return None
    given = token.encode()
    found: Caller | None = None
    if settings.API_TOKEN is not None and hmac.compare_digest(
            given, settings.API_TOKEN.get_secret_value().encode()):
        found = Caller(ADMIN, "admin")
    for name, secret in settings.WRITER_TOKENS.items():
        if hmac.compare_digest(given, secret.get_secret_value().encode()) and found is None:
            found = Caller(f"writer:{name}", "writer")
    return found


def authenticate(settings: Settings, authorization: str | None, role: Role) -> Caller:
    """The caller, or the ProblemError to send: 401 without a token, 403 with a wrong one
    or one whose role is too small for `role`."""
    configured = settings.API_TOKEN is not None or (role == "writer" and settings.WRITER_TOKENS)
    if not configured:
        needs = "API_TOKEN" if role == "admin" else "API_TOKEN or WRITER_TOKENS"
        raise ProblemError(403, f"This endpoint needs {needs}, which is not set on the server. "
                                "Set it, then send 'Authorization: Bearer <token>'.")
    token = bearer_token(authorization)
    if token is None:
        what = "API_TOKEN" if role == "admin" else "API_TOKEN or your WRITER_TOKENS key"
        raise ProblemError(401, f"Send 'Authorization: Bearer <{what}>' for this endpoint.",
                           title="Unauthorized", headers={"WWW-Authenticate": "Bearer"})
    caller = identify(settings, token)
    if caller is None:
        raise ProblemError(403, "The bearer token is not valid for this server.")
    if role == "admin" and caller.role != "admin":
        raise ProblemError(403, "This endpoint needs the admin API_TOKEN; a writer key may "
                                "send feedback and read, nothing else.")
    return caller


def client_id(scope: Scope) -> str:
    """Who to count a request against: the credential's name when the guard identified
    one (`scope["state"]["caller"]`), else the peer address (a trusted proxy's
    X-Forwarded-For only when FORWARDED_ALLOW_IPS names that proxy)."""
    caller = scope.get("state", {}).get("caller")
    if isinstance(caller, Caller):
        return caller.name
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "ip:unknown"


def read_needs_token(settings: Settings, path: str) -> bool:
    """Whether the read guard asks this path for a token."""
    return (settings.REQUIRE_TOKEN_FOR_READS and path not in OPEN_PATHS
            and not path.startswith(DOCS_ASSETS))

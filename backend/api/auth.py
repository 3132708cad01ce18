"""Bearer-token checks shared by the mutating-endpoint dependency and the read guard."""

from __future__ import annotations

import hmac

from backend.core.config import Settings
from backend.core.errors import ProblemError

# Reachable without a token even when REQUIRE_TOKEN_FOR_READS is on: probes and the docs.
OPEN_PATHS = frozenset({"/health", "/ready", "/docs", "/docs/oauth2-redirect", "/redoc",
                        "/openapi.json"})


def bearer_problem(settings: Settings, authorization: str | None) -> ProblemError | None:
    """None when `authorization` carries the server's token; else the 401/403 to send.

    401: no usable credentials (the client should authenticate); 403: credentials
    sent but wrong, or no token configured on the server. Constant-time comparison.
    """
    if settings.API_TOKEN is None:
        return ProblemError(403, "This endpoint needs API_TOKEN, which is not set on the "
                                 "server. Set it, then send 'Authorization: Bearer <API_TOKEN>'.")
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return ProblemError(401, "Send 'Authorization: Bearer <API_TOKEN>' for this endpoint.",
                            title="Unauthorized", headers={"WWW-Authenticate": "Bearer"})
    expected = settings.API_TOKEN.get_secret_value().encode()
    if not hmac.compare_digest(credentials.strip().encode(), expected):
        return ProblemError(403, "The bearer token is not valid for this server.")
    return None


def read_needs_token(settings: Settings, path: str) -> bool:
    """Whether the read guard asks this path for a token."""
    return settings.REQUIRE_TOKEN_FOR_READS and path not in OPEN_PATHS

"""A/B split: a client key always lands on the same side (sticky), in the set share."""

from __future__ import annotations

import hashlib


def bucket(client_key: str, salt: str = "sift-ab") -> float:
    """A stable number in [0, 1) for the key (sha256, so keys spread uniformly)."""
    digest = hashlib.sha256(f"{salt}:{client_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def choose_variant(client_key: str, b_share: float, salt: str = "sift-ab") -> str:
    """'B' for a `b_share` of client keys, 'A' for the rest."""
    return "B" if b_share > 0 and bucket(client_key, salt) < b_share else "A"

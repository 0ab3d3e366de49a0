"""Deterministic draws for the simulation: the same seed and key give the same numbers.

Python's ``random.Random(str)`` seeds from a SHA-512 of the string, so it does not depend on
``PYTHONHASHSEED``; per-instant jitter uses BLAKE2b, which is cheaper than seeding a generator.
No units: callers scale the draws.
"""

from __future__ import annotations

import random
from hashlib import blake2b


def rng(*key: object) -> random.Random:
    """A generator seeded by ``key`` (seed, device id, date, purpose...)."""
    return random.Random(":".join(str(k) for k in key))


def unit(*key: object) -> float:
    """A uniform draw in [0, 1) from ``key``, without building a generator."""
    digest = blake2b(":".join(str(k) for k in key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def jitter(spread: float, *key: object) -> float:
    """A uniform draw in [-spread, +spread] from ``key``."""
    return (2 * unit(*key) - 1) * spread


def clamp(value: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, value))

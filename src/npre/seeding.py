"""Reproducible randomness: a generator per (seed, item, purpose), stable across processes."""

from __future__ import annotations

import hashlib
import random


def rng_for(*parts: object) -> random.Random:
    """A random generator seeded from the given parts (stable across processes)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))

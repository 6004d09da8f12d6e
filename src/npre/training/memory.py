"""Freed heap memory handed back to the operating system between training micro-batches.

On CPU every micro-batch allocates and frees activations of new shapes, and glibc keeps
the freed pages: the resident size of a Gemma training process climbed by 0.2-0.4 GB per
step (measured: 2.8 to 4.0 GB over 6 steps, peak 4.8 GB). `malloc_trim(0)` after each
backward pass returns them, so the peak stays one step's worth above the model (3.9 GB
over the same steps), for about a tenth of the tokens/s.
"""

from __future__ import annotations

import ctypes
import functools
import sys


@functools.cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL("libc.so.6"), "malloc_trim", None)
    except OSError:  # not glibc (e.g. musl): nothing to trim
        return None


def release_freed_memory() -> None:
    """Return the heap's free pages to the OS (glibc); a no-op elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)

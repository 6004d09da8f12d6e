"""One retry loop for every remote call (PubMed, the LLM server, Zenodo).

An attempt raises `Transient` for what is worth trying again (429, 5xx, network errors,
truncated bodies); anything else propagates at once. Delays grow exponentially unless
the server said how long to wait (Retry-After).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Transient(Exception):
    """A failure worth retrying; `retry_after` is the server's own delay, in seconds."""

    def __init__(self, problem: str, retry_after: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def _delay(attempt: int, backoff_s: float, retry_after: str | None) -> float:
    if retry_after and retry_after.replace(".", "", 1).isdigit():
        return float(retry_after)
    return backoff_s * 2 ** (attempt - 1)


def with_retries(
    attempt: Callable[[], T],
    retries: int,
    backoff_s: float,
    what: str,
    error: Callable[[str], Exception],
) -> T:
    """`attempt()` until it succeeds, at most `retries` more times; then raise `error(message)`.

    Messages carry the problem (status, exception type), never request data such as keys.
    """
    failure: Transient | None = None
    for number in range(retries + 1):
        if failure is not None:
            delay = _delay(number, backoff_s, failure.retry_after)
            log.warning(
                "%s: retry %d/%d in %.1f s: %s", what, number, retries, delay, failure.problem
            )
            time.sleep(delay)
        try:
            return attempt()
        except Transient as exc:
            failure = exc
    raise error(f"{what} failed {retries + 1} times: {failure.problem if failure else ''}")

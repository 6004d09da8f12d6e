"""Admission control: a bounded number of extraction requests; beyond it a 503 at once.

A pretrained extractor takes seconds per abstract on a CPU. Without a bound, an overloaded
server queues every request until adaptive batching's `max_latency_ms` runs out, and the
caller learns nothing for that long. Here at most `serve.max_pending` extraction requests
are in the server (queued or being answered); the next one gets `503 Service Unavailable`
with `Retry-After` (seconds: the recent mean answer time, at least 1), so clients and load
balancers back off or go elsewhere. Health, readiness and docs are never refused.
"""

from __future__ import annotations

import json
import math
import time


class AdmissionControl:
    """ASGI middleware: refuse extraction requests beyond `max_pending` in flight."""

    def __init__(self, app, max_pending: int, paths: tuple[str, ...]):
        self.app = app
        self.max_pending = max_pending
        self.paths = frozenset(paths)
        self.pending = 0
        self.mean_seconds = 1.0  # answer time, exponentially weighted

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] not in self.paths:
            return await self.app(scope, receive, send)
        if self.pending >= self.max_pending:
            return await self._refuse(send)
        self.pending += 1
        started = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.pending -= 1
            self.mean_seconds = 0.8 * self.mean_seconds + 0.2 * (time.monotonic() - started)

    def retry_after(self) -> int:
        return max(1, math.ceil(self.mean_seconds))

    async def _refuse(self, send) -> None:
        seconds = self.retry_after()
        body = json.dumps(
            {
                "error": f"server busy: {self.pending} extraction requests in progress "
                f"(serve.max_pending = {self.max_pending}); retry after {seconds} s"
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(seconds).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})

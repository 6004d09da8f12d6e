"""Admission control: extraction requests beyond `serve.max_pending` get a 503 at once."""

import asyncio
import json

import pytest
from helpers import ROOT


@pytest.fixture
def admission(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))  # serving/ is run from the project root
    from serving.admission import AdmissionControl

    return AdmissionControl


def _scope(path: str) -> dict:
    return {"type": "http", "path": path, "method": "POST", "headers": []}


async def _call(app, path: str) -> tuple[int, dict, bytes]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    await app(_scope(path), receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def test_a_full_server_refuses_with_503_and_retry_after_and_recovers(admission):
    async def scenario():
        release = asyncio.Event()

        async def slow_app(scope, receive, send):  # an extraction that takes a while
            await release.wait()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        app = admission(slow_app, max_pending=2, paths=("/extract",))
        first = [asyncio.create_task(_call(app, "/extract")) for _ in range(2)]
        await asyncio.sleep(0)  # both are admitted and waiting
        assert app.pending == 2
        status, headers, body = await asyncio.wait_for(_call(app, "/extract"), 1)
        assert status == 503
        assert int(headers[b"retry-after"]) >= 1
        assert "serve.max_pending = 2" in json.loads(body)["error"]
        # other paths (health, docs) are never refused
        other = asyncio.create_task(_call(app, "/readyz"))
        await asyncio.sleep(0)
        release.set()
        assert [s for s, _, _ in await asyncio.gather(*first, other)] == [200, 200, 200]
        assert app.pending == 0
        assert (await _call(app, "/extract"))[0] == 200  # room again: admitted

    asyncio.run(scenario())

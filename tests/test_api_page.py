"""The API page: its OpenAPI document (title, docs link, no bogus server, real examples whose
shape is the response schema's) and the pages served beside the API (`/`, `/guide/`)."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
from helpers import ROOT

if str(ROOT) not in sys.path:  # serving/ is run from the project root
    sys.path.insert(0, str(ROOT))

from serving.openapi import DOCS, TITLE, load_examples  # noqa: E402


@pytest.fixture(scope="module")
def document():
    """The service's OpenAPI document, built in this process (no model, no registry)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", "sqlite:////nonexistent/npre-no-registry.db")
        from serving.service import Extractor

        return json.loads(json.dumps(Extractor.openapi_spec.asdict()))  # as /docs.json sends it


def test_the_document_has_a_title_a_docs_link_and_no_bogus_server(document):
    info = document["info"]
    assert info["title"] == TITLE
    assert info["contact"] == {"name": "npre documentation", "url": DOCS}
    assert "BentoML" not in str(info["contact"])
    assert f"]({DOCS})" in info["description"]  # a Markdown link on the page too
    assert document["servers"] == []


def test_the_examples_are_a_real_answer_in_the_response_schema():
    from serving.schemas import ExtractionResponse
    from serving.service import Document

    examples = load_examples()
    request, response = examples["request"], examples["response"]
    Document.model_validate(request)
    parsed = ExtractionResponse.model_validate(response)
    # every field of the example is one the schema has (nothing dropped on the way in)
    assert parsed.model_dump(mode="json", exclude_unset=True) == response
    assert parsed.relations, "the example should show some relations"
    text = {"title": request["title"], "abstract": request["abstract"]}
    for relation in parsed.relations:  # the evidence points at the names in the request
        for name, evidence in (
            (relation.organism, relation.organism_evidence),
            (relation.chemical, relation.chemical_evidence),
        ):
            if evidence is not None:
                assert text[evidence.field][evidence.start : evidence.end].lower() == name.lower()


def test_the_document_shows_the_examples_on_both_endpoints(document):
    examples = load_examples()
    for route, request, response in (
        ("/extract", examples["request"], examples["response"]),
        ("/extract_batch", {"documents": [examples["request"]]}, [examples["response"]]),
    ):
        post = document["paths"][route]["post"]
        assert post["requestBody"]["content"]["application/json"]["example"] == request
        answer = post["responses"]["200"]["content"]["application/json"]
        assert answer["example"] == response


def _get(app, path: str) -> tuple[int, dict, bytes]:
    """GET `path` from an ASGI app; (status, headers, body)."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    asyncio.run(app(scope, receive, send))
    headers = {k.decode(): v.decode() for k, v in sent[0].get("headers", [])}
    return sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def pages(tmp_path):
    from serving.api_page import ApiPages

    async def api(scope, receive, send):  # stands for BentoML's app
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"api"})

    (tmp_path / "README.md").write_text("# npre\n\nSee [the design](docs/design.md).\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/design.md").write_text("# Design\n\n| a | b |\n| - | - |\n| 1 | 2 |\n")
    (tmp_path / "pyproject.toml").write_text("secret = 1\n")
    return ApiPages(api, title=TITLE, root=tmp_path)


def test_the_index_page_is_titled_and_loads_nothing_from_the_internet(pages):
    status, headers, body = _get(pages, "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    assert f"<title>{TITLE}</title>" in page
    assert "googletagmanager" not in page and "BentoML Prediction Service" not in page
    assert "swagger-ui-bundle.js" in page  # still BentoML's Swagger UI
    assert ".title { visibility: visible; }" in page  # BentoML's stylesheet hides it


def test_the_guide_serves_the_docs_as_html_and_nothing_else(pages):
    status, _, body = _get(pages, "/guide/")
    assert status == 200 and b"<title>npre</title>" in body
    assert b'href="docs/design.md"' in body  # relative links resolve under /guide/
    status, _, body = _get(pages, "/guide/docs/design.md")
    assert status == 200 and b"<table>" in body
    status, _, body = _get(pages, "/guide/docs/")  # the description's "docs" link
    assert status == 200 and b'<a href="design.md">Design</a>' in body
    assert _get(pages, "/guide")[0] == 308
    for outside in ("/guide/pyproject.toml", "/guide/docs/../pyproject.toml", "/guide/x.md"):
        assert _get(pages, outside)[0] == 404, outside
    assert _get(pages, "/extract")[2] == b"api"  # the rest goes to the API


def test_the_guide_serves_the_real_readme():
    from serving.api_page import guide_file

    kind, body = guide_file(ROOT, "")
    assert kind.startswith("text/html") and b"<h1>" in body
